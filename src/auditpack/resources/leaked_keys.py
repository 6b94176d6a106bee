"""The activity of each leaked access key of the scanned account, read once per key whatever found it.

It comes after every ``<source>.key_owners`` lookup the scan makes (``after``: it enriches what the secret
sources found and never makes a scan read a source for its sake). A key found in several sources or regions is
read once. Only keys of this account that an IAM user holds are read: a key of another account is that
account's to investigate (``auditpack incident`` there). The window is the ``leaked_key_lookback_days``
organization-defined parameter; a region whose history could not be read is part of the result, never a
failure of the collection, so the findings that show it keep their verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field

from auditpack.leak import BlastRadius, KeyActivity, RegionGap
from auditpack.resources.base import GLOBAL_REGION, AwsResource, Reader, collector
from auditpack.resources.blast_radius import radius
from auditpack.resources.iam import UserPolicies
from auditpack.resources.inventory import InventoryView
from auditpack.resources.key_activity import (
    LOOKBACK_DAYS,
    PERMISSIONS,
    compute_elsewhere,
    key_history,
    regions_to_read,
    summary,
    timeline,
)
from auditpack.resources.key_owners import KeyOwner
from auditpack.resources.organizations import ServiceControlPolicies
from auditpack.resources.secret_source import mask

LOOKBACK_PARAMETER = "leaked_key_lookback_days"
EVENT_HISTORY_SOURCE = "CloudTrail event history (LookupEvents)"
KEYS, POLICIES, SCPS = "iam.leaked_keys", "iam.user_policies", "organizations.service_control_policies"
ENRICHMENT = [KEYS, POLICIES, SCPS]  # what a secrets check reads to enrich a leaked key's finding


class LeakedKey(AwsResource):
    """A leaked key of this account, its user, and what it did in the window."""

    cfn_type: ClassVar[str] = "AWS::IAM::AccessKey"

    key_id: str = Field(repr=False, exclude=True)  # joins with detections in memory; never written
    user: str  # empty when the IAM lookup failed but sts:GetAccessKeyInfo placed the key in this account
    activity: KeyActivity
    lookup_error: str | None = None  # why the user is unknown

    @property
    def who(self) -> str:
        """Whose key, for a finding's message: the user, or why the user is unknown."""
        if self.user:
            return f"IAM user {self.user}"
        return f"an IAM user that could not be looked up ({self.lookup_error or 'unknown'})"


def lookback_days(ctx: Reader) -> int:
    return int(ctx.parameters.get(LOOKBACK_PARAMETER, LOOKBACK_DAYS))


def activity_of(ctx: Reader, key_id: str, start: datetime, end: datetime, days: int) -> tuple[KeyActivity, list[str]]:
    """One key's activity in every region the scan covers (and where IAM's events are kept), with evidence."""
    history = key_history(ctx, regions_to_read(ctx.regions, ctx.partition), key_id, start, end)

    def own(record: dict[str, Any]) -> bool:
        return (record.get("userIdentity") or {}).get("accessKeyId") == key_id

    events = timeline(history.records, compute_elsewhere(ctx, start, end, own))
    activity = summary(mask(key_id), events, window_days=days, start=start, end=end,
                       sources=[EVENT_HISTORY_SOURCE], regions_read=history.regions_read, unread=history.unread)
    return activity, history.evidence


@collector("iam.leaked_keys", service="cloudtrail", permissions=list(PERMISSIONS), regional=False,
           after=("*.key_owners",))
def leaked_keys(ctx: Reader) -> list[LeakedKey]:
    owners: dict[str, KeyOwner] = {}
    for owner in ctx.need_matching("*.key_owners"):
        # A key of this account: its user is known, or sts:GetAccessKeyInfo said so when the IAM lookup failed
        # (its history is read by key id, so a denied user lookup does not hide what the key did).
        if isinstance(owner, KeyOwner) and owner.owner_account in (None, ctx.account) and (
                owner.user or owner.owner_account == ctx.account):
            owners.setdefault(owner.key_id, owner)
    days = lookback_days(ctx)
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    out = []
    for key_id, owner in sorted(owners.items()):
        activity, evidence = activity_of(ctx, key_id, start, end, days)
        out.append(LeakedKey(arn=owner.arn, name=owner.name, account=ctx.account, region=GLOBAL_REGION,
                             evidence=tuple(evidence), key_id=key_id, user=owner.user or "", activity=activity,
                             lookup_error=None if owner.user else owner.lookup_error))
    return out


# -- what a check joins: a leaked key's activity, its user's policies, its account's SCPs ------------------


def _failure(view: InventoryView, resource_type: str) -> str | None:
    errors = view.errors(resource_type)
    return f"{errors[0].service}:{errors[0].operation} failed with {errors[0].error_code}" if errors else None


@dataclass
class Leaks:
    """One partition's view of its leaked keys, for the checks that report them."""

    account: str
    keys: dict[str, LeakedKey]
    users: dict[str, UserPolicies]
    scps: ServiceControlPolicies | None
    now: datetime
    read: bool = True  # the scan read leaked keys' activity here (a scan always does; a unit test may not)
    keys_failed: str | None = None
    policies_failed: str | None = None
    scps_failed: str | None = None
    _radius: dict[str, BlastRadius] = field(default_factory=dict)

    def covers(self, owner: KeyOwner) -> bool:
        """A key of this account that an IAM user holds: the keys whose radius and activity are reported."""
        return (self.read and bool(owner.user) and owner.owner_account in (None, self.account)
                and owner.account == self.account)

    def activity(self, owner: KeyOwner) -> KeyActivity:
        found = self.keys.get(owner.key_id)
        if found is not None:
            return found.activity
        why = self.keys_failed or "it was not read"
        return KeyActivity(key=owner.name, window_days=0,
                           unread=[RegionGap(region="every region", error_code="NotRead", message=why)])

    def evidence(self, owner: KeyOwner) -> list[str]:
        found = self.keys.get(owner.key_id)
        return list(found.evidence) if found else []

    def blast_radius(self, owner: KeyOwner) -> BlastRadius:
        if owner.key_id not in self._radius:
            self._radius[owner.key_id] = self._compute(owner)
        return self._radius[owner.key_id]

    def _compute(self, owner: KeyOwner) -> BlastRadius:
        user = self.users.get(owner.user or "")
        if user is None:
            why = (f"the user's policies could not be read ({self.policies_failed})" if self.policies_failed
                   else f"user {owner.user} is not in the account's authorization details")
            return BlastRadius(key=owner.name, notes=[why])
        scp_note = (f"service control policies could not be read ({self.scps_failed})" if self.scps_failed
                    else "service control policies were not evaluated: they are read from the organization's "
                    "management account, which this scan did not cover (or the account is in no organization)")
        return radius(owner.name, user.arn, user.policies, user.boundary, boundary_arn=user.boundary_arn,
                      missing=user.missing_policies, scps=self.scps, scp_note=scp_note)

    def activity_clause(self, owner: KeyOwner) -> str:
        """The finding's words for the key's activity."""
        activity = self.activity(owner)
        if activity.start is None:
            return f"its activity could not be read ({activity.unread[0].message})"
        calls = "no call" if not activity.event_count else (
            f"{activity.event_count} call{'s' if activity.event_count != 1 else ''}")
        said = f"in the last {activity.window_days} days it made {calls}"
        if activity.flagged_count:
            names = ", ".join(dict.fromkeys(e.name for e in activity.flagged))
            said += f", {activity.flagged_count} flagged ({names})"
        if activity.unread:
            said += "; its history could not be read in " + ", ".join(
                f"{g.region} ({g.error_code})" for g in activity.unread)
        return said


def leaks_of(view: InventoryView) -> Leaks:
    """The leaked keys of the view's account with what enriches them; a failed input is named, not raised."""
    scps = next((r for r in view.anywhere(SCPS) if isinstance(r, ServiceControlPolicies)
                 and r.target_account == view.account), None)
    read = any(account == view.account for account, _region in view.inventory.items.get(KEYS, {})) or bool(
        view.errors(KEYS))
    return Leaks(
        account=view.account, keys={k.key_id: k for k in view.get(KEYS) if isinstance(k, LeakedKey)}, read=read,
        users={u.user: u for u in view.get(POLICIES) if isinstance(u, UserPolicies)}, scps=scps, now=view.now,
        keys_failed=_failure(view, KEYS), policies_failed=_failure(view, POLICIES), scps_failed=_failure(view, SCPS),
    )
