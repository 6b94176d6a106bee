"""Who owns a leaked access key: the account, the IAM user, whether the key is active, when it was last used.

That is the first thing the person responding needs. The lookup is made only for key ids found in a secret
source (never per user): sts:GetAccessKeyInfo names the account the key belongs to (decoded from the id, so
it answers for any account), iam:GetAccessKeyLastUsed names the user, iam:ListAccessKeys gives the key's status.
A key of another account is said to be one, and not looked up further.
Every secret source gets its own lookup collector (``<source>.key_owners``, registered with the source), so
each source's checks depend on that source alone. A failed lookup is data ("owner unknown: AccessDenied"),
never a reason to hide the leak. Key ids are redacted from evidence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from auditpack.registry import Registry
from auditpack.resources.base import COLLECTORS, AwsResource, CallFailed, CollectorSpec, Reader
from auditpack.resources.secret_source import access_key_ids, mask

PERMISSIONS = ("sts:GetAccessKeyInfo", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys")


class KeyOwner(AwsResource):
    """What the account says about one access key id found in configuration."""

    cfn_type: ClassVar[str] = "AWS::IAM::AccessKey"

    key_id: str = Field(repr=False, exclude=True)  # joins with detections in memory; never written
    owner_account: str | None = None  # the account the key belongs to (None: sts:GetAccessKeyInfo failed)
    user: str | None = None
    status: str | None = None  # Active / Inactive
    last_used: datetime | None = None
    last_service: str | None = None
    lookup_error: str | None = None  # error code of a failed lookup

    def describe(self) -> str:
        """One clause for a finding's message."""
        if self.owner_account and self.owner_account != self.account:
            return f"belongs to another AWS account ({self.owner_account})"
        if self.lookup_error:
            return f"owner unknown: the IAM lookup failed with {self.lookup_error}"
        if not self.user:
            return "not a key of an IAM user of this account"
        used = (f"last used {self.last_used:%Y-%m-%d}" + (f" ({self.last_service})" if self.last_service
                                                          and self.last_service != "N/A" else "")
                if self.last_used else "never used")
        return f"belongs to IAM user {self.user}, {(self.status or 'status unknown').lower()}, {used}"


def key_ids_in(resources: list[AwsResource]) -> set[str]:
    ids: set[str] = set()
    for resource in resources:
        for cand in getattr(resource, "secret_candidates", list)():
            ids.update(access_key_ids(cand.value))
    return ids


def lookup(ctx: Reader, key_id: str) -> KeyOwner:
    """The key's owner, as this partition reports it. The same key found in several sources or regions is
    looked up once per account: the answers do not depend on where the key was found."""
    facts = ctx.once(("key owner", ctx.account, key_id), lambda: _owner_facts(ctx, key_id))
    return KeyOwner(arn=ctx.arn("iam", f"access-key/{mask(key_id)}", region=""), name=mask(key_id),
                    account=ctx.account, region=ctx.region, key_id=key_id, **facts)


def _owner_facts(ctx: Reader, key_id: str) -> dict[str, Any]:
    evidence: list[str] = []
    owner_account = None
    try:  # a denied GetAccessKeyInfo leaves the account unknown; the IAM lookup below still names the user
        info = ctx.call("sts", "get_access_key_info", in_region=ctx.home_region, AccessKeyId=key_id)
        evidence.append(info.evidence)
        owner_account = info.data.get("Account")
    except CallFailed:
        pass
    if owner_account and owner_account != ctx.account:
        return {"evidence": tuple(evidence), "owner_account": owner_account}
    try:
        used = ctx.call("iam", "get_access_key_last_used", in_region=ctx.home_region, AccessKeyId=key_id)
        evidence.append(used.evidence)
        user = used.data.get("UserName")
        last = used.data.get("AccessKeyLastUsed") or {}
        status = None
        if user:
            listed = ctx.call("iam", "list_access_keys", in_region=ctx.home_region, UserName=user)
            evidence.append(listed.evidence)
            status = next((k.get("Status") for k in listed.data.get("AccessKeyMetadata", [])
                           if k.get("AccessKeyId") == key_id), None)
    except CallFailed as exc:  # never the message: AWS error messages can quote the key id
        return {"evidence": tuple(evidence), "owner_account": owner_account, "lookup_error": exc.code}
    return {"evidence": tuple(evidence), "owner_account": owner_account, "user": user, "status": status,
            "last_used": last.get("LastUsedDate"), "last_service": last.get("ServiceName")}


def owner_collector(source: str) -> CollectorSpec:
    """The ``<source>.key_owners`` collector of one secret source."""

    def owners(ctx: Reader) -> list[KeyOwner]:
        return [lookup(ctx, key_id) for key_id in sorted(key_ids_in(ctx.need(source)))]

    owners.__doc__ = f"Owners of the access key ids found in {source}."
    owners.__qualname__ = owners.__name__ = f"owners_of_{source.replace('.', '_')}"
    return CollectorSpec(f"{source}.key_owners", "iam", owners, PERMISSIONS, regional=True, needs=(source,),
                         redact=("AccessKeyId",))


def register_owner_collectors(collectors: Registry[CollectorSpec]) -> None:
    """Give every declared secret source its owner lookup, once all collectors have registered."""
    for spec in list(collectors.values()):
        name = f"{spec.resource_type}.key_owners"
        if spec.is_secret_source and name not in collectors:
            collectors.register(name, owner_collector(spec.resource_type))


COLLECTORS.complete_with(register_owner_collectors)
