"""Credential files in S3: objects named like ``.env``, ``credentials``, private keys or Terraform state, judged by
their content (NIST IA-5(7)); a finding says whether the bucket is open to everyone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.inventory import InventoryView
from auditpack.resources.leaked_keys import ENRICHMENT, leaks_of
from auditpack.resources.s3_objects import MAX_BYTES, MAX_KEYS

from .secrets import judge, key_owners_of


def _notes(bucket: Any, params: dict[str, Any]) -> list[str]:
    notes = []
    if bucket.listing_capped:
        notes.append(f"only the first {params[MAX_KEYS]} keys were listed: the listing reached the cap")
    if bucket.read_in_part:
        notes.append(f"{len(bucket.read_in_part)} object{'s' if len(bucket.read_in_part) > 1 else ''} read only in "
                     f"part (the first {params[MAX_BYTES]} bytes)")
    if bucket.binary:
        notes.append(f"{len(bucket.binary)} binary object{'s' if len(bucket.binary) > 1 else ''} not read")
    return notes


@check(
    id="s3_no_credential_files",
    title="S3 buckets hold no credential files",
    problem="S3 buckets hold credential files",
    resources=["s3.credential_files", "s3.credential_files.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Rotate every credential in the file, delete the object and its earlier versions, and keep the "
    "values in Secrets Manager (Terraform state in a private, encrypted backend); turn Block Public Access on if "
    "the bucket is public.",
    params={MAX_KEYS: {"type": "integer", "min": 1, "default": 10_000},
            MAX_BYTES: {"type": "integer", "min": 1, "default": 1024 * 1024}},
)
def s3_no_credential_files(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a bucket holding an object named like a credential file (.env*, credentials, *.pem, id_rsa*,
    *.tfstate, .npmrc, .pypirc, .git-credentials, config.json ...) whose content holds a credential, saying whether
    the bucket is publicly readable; a listing that reached the cap is said in the result, never passed silently."""
    owners = key_owners_of(view, "s3.credential_files")
    leaked = leaks_of(view)
    for bucket, scan in view.judged("s3.credential_files"):
        what = f"bucket {bucket.name} ({bucket.region})"
        if bucket.read_error:
            yield Result.of(Status.ERROR, bucket, f"Could not judge {what}: {bucket.read_error}.")
            continue
        result = judge(bucket, scan, what, owners, leaked=leaked)
        if result.status is Status.PASS and not bucket.files and not bucket.binary:
            result.message = (f"No object named like a credential file among the {bucket.keys_listed} keys listed "
                              f"in {what}.")
        notes = _notes(bucket, params)
        if result.status is Status.FAIL and bucket.public:
            notes.insert(0, f"the bucket is public: {bucket.public}")
            result.details["public"] = bucket.public
        if notes:
            result.message = f"{result.message.rstrip('.')}; {'; '.join(notes)}."
        yield result
