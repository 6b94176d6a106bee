"""S3 exposure: the account's Block Public Access settings, and each bucket's policy, ACL and own settings.

A bucket is public when its policy lets anyone in (``iam_policy.public_grants``) or its ACL grants to
everyone (``AllUsers``) or to any AWS account (``AuthenticatedUsers``), and no Block Public Access setting
that applies to it neutralises that grant: ``IgnorePublicAcls`` makes ACL grants inert and
``RestrictPublicBuckets`` limits a public policy to AWS services and the owner's account, whether set on the
bucket or on the account (AWS applies the most restrictive of the two). ``BlockPublicAcls`` and
``BlockPublicPolicy`` only refuse new public grants; they do not change existing ones. AWS's own verdict
(``GetBucketPolicyStatus``) is not asked: one module judges every policy, and the emulator's answer treats
any condition as non-public.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.iam import as_document
from auditpack.resources.iam_policy import allowed_actions, public_grants

SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
EVERYONE = {"http://acs.amazonaws.com/groups/global/AllUsers": "everyone",
            "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "any AWS account"}
NO_SETTINGS = "NoSuchPublicAccessBlockConfiguration"


class PublicAccessBlock(BaseModel):
    """The four Block Public Access settings; all off when none were ever set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    configured: bool = False
    settings: dict[str, bool] = Field(default_factory=lambda: dict.fromkeys(SETTINGS, False))

    @classmethod
    def of(cls, reply: dict[str, Any] | None) -> PublicAccessBlock:
        if reply is None:
            return cls()
        raw = reply.get("PublicAccessBlockConfiguration") or {}
        return cls(configured=True, settings={s: bool(raw.get(s)) for s in SETTINGS})

    @property
    def off(self) -> list[str]:
        return [s for s in SETTINGS if not self.settings.get(s)]


class AccountPublicAccessBlock(AwsResource):
    cfn_type: ClassVar[str] = "AWS::::Account"

    block: PublicAccessBlock = Field(default_factory=PublicAccessBlock)


class AclGrant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    grantee: str  # "everyone" or "any AWS account"
    permission: str  # READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL


@dataclass(frozen=True)
class Exposure:
    """What a bucket's policy and ACL open to everyone, split by whether Block Public Access neutralises it."""

    open: list[str]  # each grant that is in force, in words
    blocked: list[str]  # each grant Block Public Access (the bucket's or the account's) neutralises
    policy_statements: list[str]  # labels of the policy statements open to anyone, in force or not

    @property
    def public(self) -> str:
        """Why everyone can reach the bucket, or "" when nobody can."""
        return "; ".join(self.open)


def _blocking(setting: str, bucket: PublicAccessBlock, account: PublicAccessBlock) -> str | None:
    if bucket.settings.get(setting):
        return f"the bucket's {setting}"
    if account.settings.get(setting):
        return f"the account's {setting}"
    return None


class Bucket(AwsResource):
    """A bucket in a scanned region: its policy (empty when none), the ACL grants to everyone, its own settings."""

    cfn_type: ClassVar[str] = "AWS::S3::Bucket"

    policy: dict[str, Any] = Field(default_factory=dict)
    public_acl_grants: tuple[AclGrant, ...] = ()
    block: PublicAccessBlock = Field(default_factory=PublicAccessBlock)

    def exposure(self, account: PublicAccessBlock) -> Exposure:
        """Once Block Public Access is applied: ``RestrictPublicBuckets`` (of the bucket or the account)
        neutralises a public policy, ``IgnorePublicAcls`` a public ACL. One judgement, for the exposure check
        and for a credential file's finding ("and the bucket is public")."""
        grants = public_grants(self.policy, "bucket policy")
        open_parts: list[str] = []
        blocked: list[str] = []
        if grants:
            what = "; ".join(f"{s.label} allows anyone {allowed_actions(s)}" for s in grants)
            by = _blocking("RestrictPublicBuckets", self.block, account)
            (blocked if by else open_parts).append(what + (f" (neutralised by {by})" if by else ""))
        if self.public_acl_grants:
            what = "its ACL grants " + ", ".join(f"{g.permission} to {g.grantee}" for g in self.public_acl_grants)
            by = _blocking("IgnorePublicAcls", self.block, account)
            (blocked if by else open_parts).append(what + (f" (ignored because of {by})" if by else ""))
        return Exposure(open_parts, blocked, [s.label for s in grants])


@collector("s3.account_public_access_block", service="s3control", permissions=["s3:GetAccountPublicAccessBlock"],
           regional=False)
def account_public_access_block(ctx: Reader) -> list[AccountPublicAccessBlock]:
    """S3 Control's account-level settings; none ever set (``NoSuchPublicAccessBlockConfiguration``) is an
    answer: every setting is off."""
    reply = ctx.call("s3control", "get_public_access_block", AccountId=ctx.account, absent=(NO_SETTINGS,))
    return [AccountPublicAccessBlock(
        arn=ctx.arn("iam", "root"), name="account Block Public Access", account=ctx.account, region=ctx.region,
        evidence=(reply.evidence,), block=PublicAccessBlock.of(None if reply.absent else reply.data))]


def _region(listed: dict[str, Any], ctx: Reader) -> tuple[str, tuple[str, ...]]:
    """ListBuckets names each bucket's region (``BucketRegion``); older answers do not, so ask the bucket."""
    if listed.get("BucketRegion"):
        return listed["BucketRegion"], ()
    reply = ctx.call("s3", "get_bucket_location", Bucket=listed["Name"])
    return reply.data.get("LocationConstraint") or "us-east-1", (reply.evidence,)


def public_acl_grants(acl: dict[str, Any]) -> tuple[AclGrant, ...]:
    return tuple(AclGrant(grantee=EVERYONE[g["Grantee"]["URI"]], permission=g.get("Permission", ""))
                 for g in acl.get("Grants", []) if (g.get("Grantee") or {}).get("URI") in EVERYONE)


@collector("s3.buckets", service="s3", regional=False, permissions=[
    "s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy", "s3:GetBucketAcl",
    "s3:GetBucketPublicAccessBlock"])
def buckets(ctx: Reader) -> list[Bucket]:
    """Every bucket of the scanned regions, each read in its own region: policy (none is an answer), ACL and
    its own Block Public Access settings."""
    listed = [(raw, page.evidence) for page in ctx.paginate("s3", "list_buckets")
              for raw in page.data.get("Buckets", [])]

    def read(item: tuple[dict[str, Any], str]) -> Bucket | None:
        raw, listing = item
        name = raw["Name"]
        region, located = _region(raw, ctx)
        if region not in ctx.regions:
            return None
        policy = ctx.call("s3", "get_bucket_policy", in_region=region, Bucket=name, absent=("NoSuchBucketPolicy",))
        acl = ctx.call("s3", "get_bucket_acl", in_region=region, Bucket=name)
        block = ctx.call("s3", "get_public_access_block", in_region=region, Bucket=name, absent=(NO_SETTINGS,))
        return Bucket(
            arn=f"arn:{ctx.partition}:s3:::{name}", name=name, account=ctx.account, region=region,
            evidence=(listing, *located, policy.evidence, acl.evidence, block.evidence),
            policy={} if policy.absent else as_document(policy.data.get("Policy")),
            public_acl_grants=public_acl_grants(acl.data),
            block=PublicAccessBlock.of(None if block.absent else block.data))

    return [b for b in ctx.each(read, listed) if b is not None]
