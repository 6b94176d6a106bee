"""S3 objects whose names mark credential files (``.env``, ``credentials``, ``*.pem``, ``id_rsa``, Terraform state,
``.npmrc``, ``config.json`` ...), their content read under a cap, and whether their bucket is open to everyone.

Terraform state keeps every secret of the resources it manages in clear, and a ``config.json`` deployed to a
public folder is read by anyone who finds it: the finding says whether the bucket is public (Block Public Access
off, at the bucket and the account, plus a bucket policy or ACL open to everyone), judged once for every check by
``Bucket.exposure`` (``auditpack.resources.s3``). Listing and reading are bounded by the check's parameters; a
bucket whose listing reached the cap says so.
"""

from __future__ import annotations

import fnmatch
from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, CallFailed, Reader, collector
from auditpack.resources.s3 import AccountPublicAccessBlock, Bucket, PublicAccessBlock
from auditpack.resources.secret_source import Candidate

CREDENTIAL_FILES = (".env*", "*.env", "credentials", "*.pem", "id_rsa*", "id_dsa*", "id_ecdsa*",
                    "id_ed25519*", "*.tfstate", "*.tfstate.backup", "*.tfvars", ".npmrc", ".pypirc",
                    ".git-credentials", ".netrc", ".dockercfg", "config.json")
MAX_KEYS = "s3_max_keys_listed_per_bucket"  # parameters of s3_no_credential_files
MAX_BYTES = "s3_max_bytes_read_per_object"
PAGE = 1000  # ListObjectsV2 returns at most a thousand keys a page


def is_credential_file(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in CREDENTIAL_FILES)


class BucketFiles(AwsResource):
    cfn_type: ClassVar[str] = "AWS::S3::Bucket"

    keys_listed: int = 0
    listing_capped: bool = False
    files: tuple[tuple[str, str], ...] = Field(default=(), repr=False)  # (key, text read); memory only
    read_in_part: tuple[str, ...] = ()  # larger than the cap: their first bytes were read
    binary: tuple[str, ...] = ()
    public: str = ""  # why everyone can reach it (Bucket.exposure), "" if nobody can
    read_error: str = ""  # a listing or read failed: the bucket could not be judged

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"object {key}", value=text, script=True) for key, text in self.files]


def _bucket(ctx: Reader, bucket: Bucket, account: PublicAccessBlock) -> BucketFiles:
    max_keys, max_bytes = ctx.parameter(MAX_KEYS), ctx.parameter(MAX_BYTES)
    name, region = bucket.name, bucket.region
    base = dict(arn=bucket.arn, name=name, account=ctx.account, region=region)
    refs: list[str] = list(bucket.evidence)
    keys: list[tuple[str, int]] = []
    capped = False
    try:
        for page in ctx.paginate("s3", "list_objects_v2", in_region=region, Bucket=name, MaxKeys=min(PAGE, max_keys)):
            refs.append(page.evidence)
            keys += [(o["Key"], int(o.get("Size") or 0)) for o in page.data.get("Contents", [])]
            if len(keys) >= max_keys:
                capped = bool(page.data.get("IsTruncated")) or len(keys) > max_keys
                keys = keys[:max_keys]
                break
        files, in_part, binary = [], [], []
        for key, size in (k for k in keys if is_credential_file(k[0])):
            got = ctx.call("s3", "get_object", in_region=region, Bucket=name, Key=key, Range=f"bytes=0-{max_bytes - 1}")
            refs.append(got.evidence)
            body = got.data.get("Body") or b""
            if size > max_bytes:
                in_part.append(key)
            if b"\x00" in body[:8192]:
                binary.append(key)
                continue
            files.append((key, body.decode("utf-8", "replace")))
        public = bucket.exposure(account).public
    except CallFailed as exc:  # a bucket policy can deny this scanner one bucket: that bucket is an error, not all
        return BucketFiles(**base, evidence=tuple(refs), keys_listed=len(keys),
                           read_error=f"{exc.service}:{exc.operation} failed with {exc.code}")
    return BucketFiles(**base, evidence=tuple(refs), keys_listed=len(keys), listing_capped=capped, files=tuple(files),
                       read_in_part=tuple(in_part), binary=tuple(binary), public=public)


@collector("s3.credential_files", service="s3", regional=False, secrets=("Body",),
           permissions=["s3:ListBucket", "s3:GetObject"], needs=["s3.buckets", "s3.account_public_access_block"])
def credential_files(ctx: Reader) -> list[BucketFiles]:
    """The buckets ``s3.buckets`` found in the scanned regions (with their policy, ACL and Block Public Access,
    read once for this and the exposure checks): one listing each, up to the cap, and one ranged read per
    credential file."""
    blocks = [a.block for a in ctx.need("s3.account_public_access_block") if isinstance(a, AccountPublicAccessBlock)]
    account = blocks[0] if blocks else PublicAccessBlock()
    buckets = [b for b in ctx.need("s3.buckets") if isinstance(b, Bucket)]
    return ctx.each(lambda b: _bucket(ctx, b, account), buckets)
