"""An incident's verdict and its containment checklist, from what was read: pure, so it is tested alone.

The checklist follows the order incident write-ups give for a leaked key: make it inactive; create a
replacement and update where it is used; delete the old key; review the activity (and remove what it created);
open a billing case if it was abused. Each step prints the exact AWS CLI commands. Nothing here runs them:
auditpack stays read-only by construction. No command carries a key id: each finds the key by its user and its
last four characters (``ends_with``), so the checklist can be pasted into a ticket.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from auditpack.leak import ActivityEvent, ChecklistStep, Flag, Followed, KeyActivity, KeyOwner, Verdict
from auditpack.resources.key_activity import base_name

BILLING_CASE = "https://console.aws.amazon.com/support/home#/case/create?issueType=customer-service"


def verdict(activities: Iterable[KeyActivity], unread: list[str]) -> Verdict:
    """Flagged as soon as anything is flagged; clean only when everything was read and nothing is flagged."""
    activities = list(activities)
    if any(a.flagged_count for a in activities):
        return Verdict.FLAGGED
    if unread or any(not a.complete for a in activities):
        return Verdict.INCOMPLETE
    return Verdict.CLEAN


def _q(value: str) -> str:
    return shlex.quote(value)


def find_key(variable: str, user: str, masked: str) -> str:
    """A command that puts the key ending in ``masked``'s last four characters into ``variable``."""
    # The last four characters are base32 (A-Z, 2-7): safe inside the double-quoted JMESPath query.
    query = f"AccessKeyMetadata[?ends_with(AccessKeyId, '{masked[-4:]}')].AccessKeyId"
    return f'{variable}=$(aws iam list-access-keys --user-name {_q(user)} --query "{query}" --output text)'


def _user_cmd(user: str | None) -> str:
    return _q(user) if user else '"$LEAKED_KEY_USER"'


def _request(record: dict[str, Any]) -> dict[str, Any]:
    return record.get("requestParameters") or {}


def _undo(record: dict[str, Any]) -> list[str]:
    """Commands that inspect and undo what one flagged call did (none for a call that failed)."""
    if record.get("errorCode"):
        return []
    name, region = base_name(str(record.get("eventName", ""))), str(record.get("awsRegion", ""))
    request, response = _request(record), record.get("responseElements") or {}
    target = {k: request[k] for k in ("userName", "roleName", "groupName") if request.get(k)}
    kind, who = next(iter(target.items()), ("", ""))
    noun = {"userName": "user", "roleName": "role", "groupName": "group"}.get(kind, "")
    if name.startswith("Attach") and request.get("policyArn") and noun:
        return [f"aws iam detach-{noun}-policy --{noun}-name {_q(who)} --policy-arn {_q(request['policyArn'])}"]
    if name.startswith("Put") and name.endswith("Policy") and request.get("policyName") and noun:
        return [f"aws iam delete-{noun}-policy --{noun}-name {_q(who)} --policy-name {_q(request['policyName'])}"]
    if name == "RunInstances":
        items = ((response.get("instancesSet") or {}).get("items")) or []
        ids = " ".join(_q(i["instanceId"]) for i in items if i.get("instanceId"))
        if ids:
            return [f"aws ec2 describe-instances --region {region} --instance-ids {ids}",
                    f"aws ec2 terminate-instances --region {region} --instance-ids {ids}"]
        return [f"aws ec2 describe-instances --region {region} --filters Name=instance-state-name,Values=running"]
    if name == "CreateFunction" and request.get("functionName"):
        return [f"aws lambda delete-function --region {region} --function-name {_q(request['functionName'])}"]
    if name == "StopLogging" and request.get("name"):
        return [f"aws cloudtrail start-logging --region {region} --name {_q(request['name'])}"]
    if name in ("UpdateTrail", "PutEventSelectors", "DeleteTrail"):
        trail = request.get("name") or request.get("trailName")
        return [f"aws cloudtrail describe-trails --region {region}"
                + (f" --trail-name-list {_q(trail)}" if trail and name != "DeleteTrail" else ""),
                f"aws cloudtrail get-event-selectors --region {region} --trail-name {_q(trail)}"
                if trail and name != "DeleteTrail" else f"aws cloudtrail list-trails --region {region}"]
    if name == "DeleteDetector":
        return [f"aws guardduty create-detector --region {region} --enable"]
    return []


def _removals(followed: list[Followed]) -> list[str]:
    """Inspect, then remove, what the key created: its users (their keys, password and policies first) and
    roles. The created keys are the ``CREATED_KEY_<n>`` of step 1."""
    commands = []
    keys = [f for f in followed if f.kind == "access key" and f.user]
    passwords = {f.user or f.name for f in followed if f.kind == "console password"}
    for item in followed:
        if item.kind == "user":
            user = _q(item.name)
            commands += [f"aws iam list-access-keys --user-name {user}",
                         f"aws iam list-attached-user-policies --user-name {user}",
                         f"aws iam list-user-policies --user-name {user}"]
            commands += [f'aws iam delete-access-key --user-name {user} --access-key-id "$CREATED_KEY_{n}"'
                         for n, k in enumerate(keys, start=1) if k.user == item.name]
            commands += [f"aws iam delete-login-profile --user-name {user}"] if item.name in passwords else []
            commands.append(f"aws iam delete-user --user-name {user}")
        elif item.kind == "role":
            role = _q(item.name)
            commands += [f"aws iam list-attached-role-policies --role-name {role}",
                         f"aws iam list-role-policies --role-name {role}",
                         f"aws iam delete-role --role-name {role}"]
    return commands


def checklist(key: str, owner: KeyOwner, followed: list[Followed], flagged: list[dict[str, Any]],
              events: list[ActivityEvent], start: datetime, end: datetime) -> list[ChecklistStep]:
    """The containment steps for ``key`` (masked), with their commands, from what the investigation found."""
    user = owner.user
    created_keys = [f for f in followed if f.kind == "access key" and f.user]
    first = [find_key("LEAKED_KEY_ID", user, key)] if user else [
        "# the key's user could not be found: set LEAKED_KEY_USER and LEAKED_KEY_ID to the key you investigated"]
    first.append(f'aws iam update-access-key --user-name {_user_cmd(user)} --access-key-id "$LEAKED_KEY_ID" '
                 "--status Inactive")
    for n, item in enumerate(created_keys, start=1):
        first += [find_key(f"CREATED_KEY_{n}", item.user or "", item.name),
                  f'aws iam update-access-key --user-name {_q(item.user or "")} --access-key-id "$CREATED_KEY_{n}" '
                  "--status Inactive"]
    first += [f"aws iam delete-login-profile --user-name {_q(f.user or f.name)}" for f in followed
              if f.kind == "console password"]
    suspects = {e.source_ip for e in events if e.flag}
    legit = sorted({e.user_agent for e in events if not e.flag and e.user_agent and e.key == key
                    and e.source_ip not in suspects})
    where = (f"It was last used for {owner.last_used_service} in {owner.last_used_region}; the tools seen "
             f"using it without a flag: {', '.join(legit)}." if owner.last_used_service or legit else
             "Search your code, CI variables and configuration for the key's last four characters.")
    flagged_events = [e for e in events if e.flag]
    undo = list(dict.fromkeys(c for record in flagged for c in _undo(record)))
    review = [f"aws cloudtrail lookup-events --region {region} --lookup-attributes "
              'AttributeKey=AccessKeyId,AttributeValue="$LEAKED_KEY_ID" --max-results 50'
              for region in sorted({e.region for e in events if e.key == key}) or ["us-east-1"]]
    abused = any(e.flag in (Flag.COMPUTE, Flag.IDENTITY) for e in flagged_events)
    costs = (f"aws ce get-cost-and-usage --time-period Start={start:%Y-%m-%d},End={end:%Y-%m-%d} "
             "--granularity DAILY --metrics UnblendedCost --group-by Type=DIMENSION,Key=REGION")
    return [
        ChecklistStep(title="Make the key inactive", why=(
            "The key works for whoever holds it until it is deactivated; deactivating can be undone, deleting "
            "cannot. Keys and console passwords it created are cut off in the same step."), commands=first),
        ChecklistStep(title="Create a replacement and update where it is used", why=(
            f"{where} Better than a new key: give the workload a role (an instance profile, a task or execution "
            "role, OIDC federation for CI) so that no long-lived key is needed."),
            commands=[f"aws iam create-access-key --user-name {_user_cmd(user)}"]),
        ChecklistStep(title="Delete the old key", why=(
            "Once nothing breaks with the key inactive and the replacement in place, delete it: an inactive key "
            "can be made active again by anyone allowed to."),
            commands=[f'aws iam delete-access-key --user-name {_user_cmd(user)} --access-key-id "$LEAKED_KEY_ID"']),
        ChecklistStep(title="Review the activity", why=(
            f"This pack's timeline holds {len(events)} event(s), {len(flagged_events)} flagged. Undo what the "
            "flagged calls did and remove the identities the key created (detach their policies and delete their "
            "keys first), then read the key's history again for anything this window did not cover."),
            commands=[*undo, *_removals(followed), *review]),
        ChecklistStep(title="Open a billing case if it was abused", why=(
            ("The key launched compute or created identities: AWS Support can review charges from unauthorized "
             f"use. Open an Account and billing case at {BILLING_CASE}, citing this pack's timeline; the command "
             "shows the charges by region for the window.") if abused else (
             "Nothing flagged shows abuse that costs money; open an Account and billing case at "
             f"{BILLING_CASE} only if the bill shows charges you do not recognise.")), commands=[costs]),
    ]
