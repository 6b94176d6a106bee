"""Incident handling for leaked keys: a key AWS flagged still works; a leaked key was used the way bots use one.

NIST IR-4 asks that incidents be contained and analysed. When AWS finds a user's key exposed in public, it
attaches one of its compromised-key quarantine policies to the user and opens a case; the key keeps working
until someone deactivates it. And a leaked key's own CloudTrail history says whether it has already been
abused: the identities it created, compute in a region the account does not use, logging switched off, or a
"who am I?" from a new address.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import ResourceRef, Status
from auditpack.resources.base import secret_source_types
from auditpack.resources.iam import AccessKey, UserPolicies
from auditpack.resources.inventory import InventoryView
from auditpack.resources.key_activity import LOOKBACK_DAYS, MAX_FLAGGED_LISTED
from auditpack.resources.key_owners import KeyOwner
from auditpack.resources.leaked_keys import LeakedKey

QUARANTINE_POLICIES = tuple(f"arn:aws:iam::aws:policy/{name}" for name in (
    "AWSCompromisedKeyQuarantine", "AWSCompromisedKeyQuarantineV2", "AWSCompromisedKeyQuarantineV3"))
# The partition-free tail of a quarantine policy's ARN (AWS GovCloud and China spell the partition differently).
_QUARANTINE_TAILS = tuple(arn.split(":", 2)[2] for arn in QUARANTINE_POLICIES)


def _account(view: InventoryView) -> ResourceRef:
    return ResourceRef(arn=view.account_arn, type="AWS::::Account", name=view.account)


def quarantine_policies(user: UserPolicies) -> list[str]:
    """The quarantine policies attached to the user directly (AWS attaches them to the user, not a group)."""
    attached = [d.source.removeprefix("managed policy ") for d in user.policies
                if d.source.startswith("managed policy ")]
    return sorted({arn for arn in [*attached, *user.missing_policies] if arn.split(":", 2)[-1] in _QUARANTINE_TAILS})


@check(
    id="iam_quarantined_key_inactive",
    title="Users AWS quarantined for an exposed key have no active access key",
    problem="Users AWS quarantined for an exposed key still have an active access key",
    resources=["iam.user_policies", "iam.access_keys"],
    severity="critical",
    remediation="Deactivate the user's access keys now (aws iam update-access-key --status Inactive), review what "
    "they did since the exposure (auditpack incident --access-key-id ...), then rotate: create a replacement, "
    "update where it is used, delete the old key, and only then detach the quarantine policy.",
)
def iam_quarantined_key_inactive(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a user that carries one of AWS's compromised-key quarantine policies (AWSCompromisedKeyQuarantine,
    V2 or V3: AWS attaches one when it finds the user's key exposed in public) and still has an active access
    key, from the credential report: AWS flagged the exposure, and the key still works. Quarantined users with no
    active key pass; an account without a quarantined user is not applicable."""
    active: dict[str, list[AccessKey]] = {}
    for key in view.get("iam.access_keys"):
        active.setdefault(key.user, []).append(key)
    quarantined = [(u, policies) for u in view.get("iam.user_policies") if (policies := quarantine_policies(u))]
    if not quarantined:
        yield Result(Status.NOT_APPLICABLE, _account(view), "No IAM user carries one of AWS's compromised-key "
                     "quarantine policies.", "global", sorted({e for u in view.get("iam.user_policies")
                                                                for e in u.evidence}))
        return
    for user, policies in quarantined:
        names = ", ".join(p.rsplit("/", 1)[-1] for p in policies)
        keys = active.get(user.user, [])
        evidence = [*user.evidence, *(e for k in keys for e in k.evidence)]
        if not keys:
            yield Result.of(Status.PASS, user, f"User {user.user} carries {names} and has no active access key.",
                            evidence=evidence)
            continue
        which = ", ".join(f"access key {k.slot} (created {k.created:%Y-%m-%d})" if k.created
                          else f"access key {k.slot}" for k in keys)
        yield Result.of(Status.FAIL, user, f"User {user.user} carries {names}: AWS flagged an exposed key of this "
                        f"user, and {which} {'is' if len(keys) == 1 else 'are'} still active.", evidence=evidence,
                        details={"active_key_count": len(keys)})


def _flagged_words(key: LeakedKey) -> str:
    shown = key.activity.flagged[:5]
    words = "; ".join(f"{e.time:%Y-%m-%d %H:%M} {e.name} in {e.region}"
                      + (f" from {e.source_ip}" if e.source_ip else "") for e in shown)
    more = key.activity.flagged_count - len(shown)
    return words + (f"; and {more} more" if more > 0 else "")


@check(
    id="leaked_key_no_suspicious_activity",
    title="Leaked access keys show no sign of abuse in CloudTrail",
    problem="Leaked access keys show signs of abuse in CloudTrail",
    # The secret sources too: an account where no key was found cites what was searched.
    resources=["iam.leaked_keys", *sorted(f"{source}.key_owners" for source in secret_source_types()),
               *sorted(secret_source_types())],
    severity="critical",
    remediation="Treat the key as used by an attacker: deactivate it, then follow the containment checklist of "
    "auditpack incident --access-key-id ... (replace the key, delete it, remove what it created, review the "
    "activity, and open a billing case with AWS if resources were run on your account).",
    params={"leaked_key_lookback_days": {"type": "integer", "min": 1, "max": 90, "default": LOOKBACK_DAYS}},
)
def leaked_key_no_suspicious_activity(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """For each leaked access key of the account found in a secret source, reads its CloudTrail event history in
    every scanned region over ``leaked_key_lookback_days`` and fails when it holds flagged events: identity
    creation (CreateUser, CreateAccessKey, CreateLoginProfile, CreateRole, Attach/Put*Policy), compute in a
    region where no other identity launches any (RunInstances, CreateFunction), defense evasion (StopLogging,
    DeleteTrail, UpdateTrail, DeleteDetector, PutEventSelectors), or GetCallerIdentity from an address the key
    had not used before. A key whose history could not be read in some region is an error, never a pass; so is
    a leaked key that neither sts:GetAccessKeyInfo nor the IAM lookup could place in an account."""
    keys = [k for k in view.get("iam.leaked_keys") if isinstance(k, LeakedKey)]
    read = {k.key_id for k in keys}
    unplaced: dict[str, KeyOwner] = {}  # whose key is unknown: neither STS nor IAM could say
    for source in sorted(secret_source_types()):
        for owner in view.get(f"{source}.key_owners"):
            if (isinstance(owner, KeyOwner) and owner.lookup_error and owner.owner_account is None
                    and owner.key_id not in read):
                unplaced.setdefault(owner.key_id, owner)
    for owner in unplaced.values():
        yield Result.of(Status.ERROR, owner, f"Leaked key {owner.name} could not be placed: sts:GetAccessKeyInfo "
                        f"and the IAM lookup failed ({owner.lookup_error}), so whether it is this account's key, "
                        "and what it did, are unknown.")
    if not keys and not unplaced:
        searched = sorted({e for source in secret_source_types() for r in view.get(source) for e in r.evidence})
        yield Result(Status.NOT_APPLICABLE, _account(view), "No access key of this account was found leaked in "
                     "the secret sources scanned.", "global", evidence=searched)
        return
    for key in keys:
        activity = key.activity
        window = f"in the last {activity.window_days} days"
        unread = ", ".join(f"{g.region} ({g.error_code})" for g in activity.unread)
        details: dict[str, Any] = {"flagged_count": activity.flagged_count, "event_count": activity.event_count,
                                   "activity": activity.model_dump(mode="json")}
        if activity.flagged_count:
            listed = "" if activity.flagged_count <= MAX_FLAGGED_LISTED else " (the first are listed in details)"
            also = f"; its history could not be read in {unread}" if unread else ""
            yield Result.of(Status.FAIL, key, f"Leaked key {key.name} of {key.who} made "
                            f"{activity.flagged_count} flagged call{'s' if activity.flagged_count != 1 else ''} "
                            f"{window}{listed}: {_flagged_words(key)}{also}.", details=details)
        elif unread:
            yield Result.of(Status.ERROR, key, f"The activity of leaked key {key.name} of {key.who} could "
                            f"not be read in {unread}; {activity.event_count} call(s) read elsewhere, none flagged.",
                            details=details)
        else:
            yield Result.of(Status.PASS, key, f"Leaked key {key.name} of {key.who} made "
                            f"{activity.event_count} call(s) {window} in the regions read "
                            f"({', '.join(activity.regions_read)}), none flagged.", details=details)
