"""What the detector reads from a secret source (candidate values) and what it says (detections), as data.

A ``Detection`` holds the masked form and keyed fingerprint of a secret; the raw value is kept in memory
only (``secret`` is excluded from every dump and repr) because the IAM owner lookup joins on a key id.
The shape of an AWS access key id and of AWS's documentation keys live here too: the owner lookup (a
collector) and the detector (the secrets stage) both need them, and neither may import the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# Access key ids: documented prefixes and 16 upper-case base-32 characters (moto's ids use any digit).
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])")
DOC_EXAMPLE = re.compile(r"EXAMPLE(KEY)?$")  # AKIAIOSFODNN7EXAMPLE, wJalr...EXAMPLEKEY and their siblings


def is_documentation_example(secret: str) -> bool:
    return bool(DOC_EXAMPLE.search(secret))


def access_key_ids(text: str) -> list[str]:
    """The AWS access key ids in ``text`` that could be real (AWS's documentation examples are not)."""
    return [k for k in ACCESS_KEY_ID.findall(text) if not is_documentation_example(k)]


# Every shape ``mask`` gives; what a report may show under a ``masked`` key (``render.disclosure``).
MASKED_SHAPE = re.compile(r"^(.{4}….{4}|….{4}|\*{8})$", re.DOTALL)


def mask(value: str) -> str:
    """Enough to recognise a value one already holds, never enough to guess it; the keyed fingerprint is what
    correlates findings. An access key id keeps its public prefix (``AKIA``: what kind of key) and its last
    four characters, as the AWS console shows it; any other value shorter than 32 characters shows at most its
    last four, one shorter than 16 nothing, and only a long one its first and last four."""
    if ACCESS_KEY_ID.fullmatch(value):
        return f"{value[:4]}…{value[-4:]}"
    if len(value) >= 32:
        return f"{value[:4]}…{value[-4:]}"
    if len(value) >= 16:
        return f"…{value[-4:]}"
    return "*" * 8


class Category(StrEnum):
    AWS_ACCESS_KEY_ID = "aws_access_key_id"
    AWS_SECRET_ACCESS_KEY = "aws_secret_access_key"
    CREDENTIAL = "credential"  # any other password, token, key

    @property
    def is_aws_key(self) -> bool:
        return self in (Category.AWS_ACCESS_KEY_ID, Category.AWS_SECRET_ACCESS_KEY)


@dataclass(frozen=True)
class Candidate:
    """One value a resource holds: ``field`` says where in words, ``name`` is the variable name if any.

    ``script`` marks free text (user data) that is read line by line rather than as one value.
    """

    field: str
    value: str
    name: str | None = None
    location: str = ""
    script: bool = False


class Detection(BaseModel):
    """One secret found in one field: what it is, never what it says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    location: str = ""
    kind: str = Field(description="Readable kind, with its article: 'an AWS secret access key'.")
    category: Category
    detector: str = Field(description="'auditpack:<rule>' or 'kingfisher:<rule id>'.")
    masked: str
    fingerprint: str
    informational: bool = Field(default=False, description="AWS documentation example key: not a leak.")
    secret: str = Field(default="", exclude=True, repr=False)


class SecretScan(BaseModel):
    """The engine's verdict on one resource: its detections, or why it could not be read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    detections: tuple[Detection, ...] = ()
    error: str | None = None
