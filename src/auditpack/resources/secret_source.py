"""What the engine reads (candidate values) and what it says about them (detections), as plain data.

A ``Detection`` holds the masked form and keyed fingerprint of a secret; the raw value is kept in memory
only (``secret`` is excluded from every dump and repr) because the IAM owner lookup joins on a key id.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


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


class SecretSource(Protocol):
    """A collected resource whose values the engine should read."""

    arn: str

    def secret_candidates(self) -> list[Candidate]: ...


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
