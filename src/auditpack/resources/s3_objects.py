"""S3 objects whose names mark credential files (``.env``, ``credentials``, ``*.pem``, ``id_rsa``, Terraform state,
``.npmrc``, ``config.json`` ...), their content read under a cap, and whether their bucket is open to everyone.

Terraform state keeps every secret of the resources it manages in clear, and a ``config.json`` deployed to a
public folder is read by anyone who finds it: the finding says whether the bucket is public (Block Public Access
off, at the bucket and the account, plus a bucket policy or ACL open to everyone). Listing and reading are bounded
by the check's parameters; a bucket whose listing reached the cap says so.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import GLOBAL_REGION, AwsResource, CallFailed, Reader, collector
from auditpack.resources.secret_source import Candidate

CREDENTIAL_FILES = (".env*", "*.env", "credentials", "*.pem", "id_rsa*", "id_dsa*", "id_ecdsa*",
                    "id_ed25519*", "*.tfstate", "*.tfstate.backup", "*.tfvars", ".npmrc", ".pypirc",
                    ".git-credentials", ".netrc", ".dockercfg", "config.json")
MAX_KEYS = "s3_max_keys_listed_per_bucket"  # parameters of s3_no_credential_files
MAX_BYTES = "s3_max_bytes_read_per_object"
PAGE = 1000  # ListObjectsV2 returns at most a thousand keys a page
EVERYONE = ("http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


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
    public: str = ""  # why everyone can read it, "" if not, or "unknown: ..." when a call failed
    read_error: str = ""  # a listing or read failed: the bucket could not be judged

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"object {key}", value=text, script=True) for key, text in self.files]


def _flags(reply: Any) -> dict[str, bool]:
    config = reply.data.get("PublicAccessBlockConfiguration") or {}
    return {flag: bool(config.get(flag)) for flag in BLOCKS}


def _policy_open(policy: str) -> bool:
    """A statement that allows everyone to get objects, without a condition that narrows who."""
    try:
        statements = json.loads(policy).get("Statement", [])
    except (ValueError, AttributeError):
        return False
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in (
            principal.get("AWS") if isinstance(principal.get("AWS"), list) else [principal.get("AWS")]))
        actions = st.get("Action", [])
        actions = [a.lower() for a in (actions if isinstance(actions, list) else [actions])]
        reads = any(a in ("*", "s3:*", "s3:get*", "s3:getobject") for a in actions)
        if st.get("Effect") == "Allow" and everyone and reads and not st.get("Condition"):
            return True
    return False


def _public(ctx: Reader, bucket: str, region: str) -> str:
    """Why everyone can read the bucket's objects, '' if nobody can, or why that is unknown."""
    try:
        account = ctx.once(("s3 account public access block", ctx.account), lambda: _flags(ctx.call(
            "s3control", "get_public_access_block", in_region=ctx.home_region, AccountId=ctx.account,
            absent=("NoSuchPublicAccessBlockConfiguration",))))
        own = _flags(ctx.call("s3", "get_public_access_block", in_region=region, Bucket=bucket,
                              absent=("NoSuchPublicAccessBlockConfiguration",)))
        blocked = {flag: account[flag] or own[flag] for flag in BLOCKS}
        policy = ctx.call("s3", "get_bucket_policy", in_region=region, Bucket=bucket, absent=("NoSuchBucketPolicy",))
        acl = ctx.call("s3", "get_bucket_acl", in_region=region, Bucket=bucket)
    except CallFailed as exc:
        return f"unknown: {exc.service}:{exc.operation} failed with {exc.code}"
    reasons = []
    if _policy_open(str(policy.data.get("Policy") or "{}")) and not blocked["RestrictPublicBuckets"]:
        reasons.append("its bucket policy lets everyone get objects")
    if not blocked["IgnorePublicAcls"] and any((g.get("Grantee") or {}).get("URI") in EVERYONE
                                               and g.get("Permission") in ("READ", "FULL_CONTROL")
                                               for g in acl.data.get("Grants", [])):
        reasons.append("its ACL grants READ to everyone")
    return f"Block Public Access is off and {' and '.join(reasons)}" if reasons else ""


def _bucket(ctx: Reader, name: str, region: str, evidence: str) -> BucketFiles:
    max_keys, max_bytes = ctx.parameter(MAX_KEYS), ctx.parameter(MAX_BYTES)
    base = dict(arn=f"arn:{ctx.partition}:s3:::{name}", name=name, account=ctx.account, region=region)
    refs, keys, capped = [evidence], [], False
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
        public = _public(ctx, name, region) if files else ""
    except CallFailed as exc:  # a bucket policy can deny this scanner one bucket: that bucket is an error, not all
        return BucketFiles(**base, evidence=tuple(refs), keys_listed=len(keys),
                           read_error=f"{exc.service}:{exc.operation} failed with {exc.code}")
    return BucketFiles(**base, evidence=tuple(refs), keys_listed=len(keys), listing_capped=capped, files=tuple(files),
                       read_in_part=tuple(in_part), binary=tuple(binary), public=public)


@collector("s3.credential_files", service="s3", regional=False, secrets=("Body",), permissions=[
    "s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetAccountPublicAccessBlock"])
def credential_files(ctx: Reader) -> list[BucketFiles]:
    """Buckets of the scanned regions: one listing each (up to the cap), one ranged read per credential file,
    and the public-access calls only for a bucket that has such a file."""
    listed = [(b, page.evidence) for page in ctx.paginate("s3", "list_buckets") for b in page.data.get("Buckets", [])]

    def located(item: tuple[dict, str]) -> tuple[str, str, str]:
        raw, evidence = item
        region = raw.get("BucketRegion")
        if not region:
            got = ctx.call("s3", "get_bucket_location", Bucket=raw["Name"])
            region = got.data.get("LocationConstraint") or "us-east-1"
            region = "eu-west-1" if region == "EU" else region
        return raw["Name"], str(region), evidence

    in_scope = [b for b in ctx.each(located, listed) if b[1] in ctx.regions and b[1] != GLOBAL_REGION]
    return ctx.each(lambda b: _bucket(ctx, *b), in_scope)
