"""Identity: access key age and use, the root user, console MFA, administrative rights and password policy.

These checks show whether the durable fixes for leaked keys are in place: short-lived or rotated credentials,
unused keys and passwords removed, MFA on every console login and on root, no user or role holding full
administrative rights without approval, permissions through groups and roles, and no role anyone can assume.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.iam import (
    AccessKey,
    CredentialReportRow,
    IamUser,
    PasswordPolicy,
    Role,
    RootAccount,
    UserPolicies,
)
from auditpack.resources.iam_policy import (
    admin_equivalent,
    admin_statement,
    full_admin_grants,
    open_trust_grants,
    statements,
)
from auditpack.resources.inventory import InventoryView

DAYS = {"type": "integer", "min": 1, "max": 3650}



def days_since(now: datetime, then: datetime) -> int:
    return max(0, (now - then).days)


def _by_user(keys: Iterable[AccessKey]) -> dict[str, list[AccessKey]]:
    out: dict[str, list[AccessKey]] = defaultdict(list)
    for key in keys:
        out[key.arn].append(key)
    return {arn: sorted(ks, key=lambda k: k.slot) for arn, ks in out.items()}


def key_label(key: AccessKey) -> str:
    created = f" (created {key.created:%Y-%m-%d})" if key.created else ""
    return f"access key {key.slot}{created}"


def _key_facts(key: AccessKey, now: datetime) -> dict[str, Any]:
    return {
        "slot": key.slot,
        "created": key.created.isoformat() if key.created else None,
        "age_days": days_since(now, key.created) if key.created else None,
        "last_used": key.last_used.isoformat() if key.last_used else None,
        "last_used_service": key.last_used_service,
    }


@check(
    id="iam_access_key_rotated",
    title="Active IAM access keys are rotated within the allowed age",
    problem="Active IAM access keys are older than the allowed age",
    resources=["iam.access_keys"],
    severity="medium",
    remediation="Create a new access key, move the workload to it, then deactivate and delete the old key; "
    "better, replace IAM user keys with role credentials (instance profiles, IAM Identity Center, OIDC).",
    params={"access_key_max_age_days": {**DAYS, "default": 90}},
)
def iam_access_key_rotated(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every active access key of each IAM user is younger than ``access_key_max_age_days``, counted from
    the key's creation as the credential report gives it; one result per user, naming each key masked."""
    limit = params["access_key_max_age_days"]
    for keys in _by_user(view.get("iam.access_keys")).values():
        user = keys[0]
        old = [k for k in keys if k.created is None or days_since(view.now, k.created) > limit]
        details = {"keys": [_key_facts(k, view.now) for k in keys], "max_age_days": limit}
        evidence = sorted({e for k in keys for e in k.evidence})
        if old:
            parts = [f"{key_label(k)} is {days_since(view.now, k.created)} days old" if k.created
                     else f"{key_label(k)} has no known creation date" for k in old]
            rest = len(keys) - len(old)
            other = " (its other active key is within it)" if rest else ""
            yield Result.of(Status.FAIL, user, f"User {user.user}: {'; '.join(parts)}, beyond the {limit}-day "
                            f"rotation limit{other}.", evidence=evidence, details=details)
        else:
            parts = [f"{key_label(k)} is {days_since(view.now, k.created)} days old" for k in keys if k.created]
            yield Result.of(Status.PASS, user, f"User {user.user}: {'; '.join(parts)}, within the {limit}-day "
                            "rotation limit.", evidence=evidence, details=details)


@check(
    id="iam_access_key_unused",
    title="Active IAM access keys have been used recently",
    problem="Active IAM access keys have gone unused",
    resources=["iam.access_keys"],
    severity="medium",
    remediation="Deactivate the idle key, confirm nothing breaks, then delete it; remove the user if it has "
    "no other purpose.",
    params={"credential_inactive_days": {**DAYS, "default": 90}},
)
def iam_access_key_unused(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every active access key was used within ``credential_inactive_days``; a key never used counts from its
    creation, so a fresh key is not reported but a key issued months ago and never used is."""
    limit = params["credential_inactive_days"]
    for keys in _by_user(view.get("iam.access_keys")).values():
        user = keys[0]
        idle, fine = [], []
        for key in keys:
            if key.last_used is not None:
                days = days_since(view.now, key.last_used)
                text = f"{key_label(key)} was last used {days} days ago"
            elif key.created is not None:
                days = days_since(view.now, key.created)
                text = f"{key_label(key)} has never been used since its creation {days} days ago"
            else:
                days, text = limit + 1, f"{key_label(key)} has no known creation or use date"
            (idle if days > limit else fine).append(text)
        details = {"keys": [_key_facts(k, view.now) for k in keys], "inactive_days": limit}
        evidence = sorted({e for k in keys for e in k.evidence})
        if idle:
            other = " (its other active key is in use)" if fine else ""
            yield Result.of(Status.FAIL, user, f"User {user.user}: {'; '.join(idle)} (limit {limit} days){other}.",
                            evidence=evidence, details=details)
        else:
            yield Result.of(Status.PASS, user, f"User {user.user}: {'; '.join(fine)} (limit {limit} days).",
                            evidence=evidence, details=details)


def _root(view: InventoryView) -> RootAccount | None:
    found = view.get("iam.root")
    return found[0] if found else None


def _report_note(root: RootAccount) -> str:
    if not root.report_row:
        return "the credential report has no root row"
    when = f" (generated {root.report_generated:%Y-%m-%d %H:%M} UTC)" if root.report_generated else ""
    return f"the credential report{when}"


@check(
    id="iam_root_no_access_keys",
    title="The root user has no access keys",
    problem="The root user has access keys",
    resources=["iam.root"],
    severity="critical",
    remediation="Sign in as root, delete its access keys (Security credentials page) and use IAM roles or "
    "users with scoped permissions for programmatic access.",
)
def iam_root_no_access_keys(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Neither the live account summary (``AccountAccessKeysPresent``) nor the credential report's root row
    shows a root access key; if either source shows one, the check fails."""
    root = _root(view)
    if root is None:
        return
    report_keys = root.active_report_keys
    details = {"summary_access_keys_present": root.summary_keys, "report_root_row": root.report_row,
               "report_active_keys": [k.slot for k in report_keys]}
    if root.summary_keys is None and not root.report_row:
        yield Result.of(Status.ERROR, root, "Neither the account summary nor the credential report says whether "
                        "the root user has access keys.", details=details)
        return
    if root.summary_keys or report_keys:
        sources = []
        if root.summary_keys:
            sources.append("the account summary reports root access keys present")
        for key in report_keys:
            age = f", created {days_since(view.now, key.last_rotated)} days ago" if key.last_rotated else ""
            used = (f", last used {days_since(view.now, key.last_used)} days ago" if key.last_used
                    else ", never used")
            sources.append(f"{_report_note(root)} shows active root key {key.slot}{age}{used}")
        yield Result.of(Status.FAIL, root, f"The root user has access keys: {'; '.join(sources)}.",
                        details=details)
        return
    summary = ("the account summary reports none" if root.summary_keys is False
               else "the account summary does not say")
    report = (f"{_report_note(root)} shows no active root key" if root.report_row else _report_note(root))
    yield Result.of(Status.PASS, root, f"The root user has no access keys: {summary}, and {report}.",
                    details=details)


@check(
    id="iam_root_mfa",
    title="The root user has MFA",
    problem="The root user has no MFA",
    resources=["iam.root"],
    severity="critical",
    remediation="Sign in as root and assign an MFA device (a hardware key or passkey for preference); keep it "
    "with the break-glass procedure.",
)
def iam_root_mfa(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """The root user has an MFA device according to the live account summary (``AccountMFAEnabled``) and to
    the credential report's root row; if either says no, the check fails."""
    root = _root(view)
    if root is None:
        return
    details = {"summary_mfa_enabled": root.summary_mfa, "report_mfa_active": root.report_mfa,
               "report_root_row": root.report_row}
    if root.summary_mfa is None and root.report_mfa is None:
        yield Result.of(Status.ERROR, root, "Neither the account summary nor the credential report says whether "
                        "the root user has MFA.", details=details)
        return
    said_no = []
    if root.summary_mfa is False:
        said_no.append("the account summary reports AccountMFAEnabled = 0")
    if root.report_mfa is False:
        said_no.append(f"{_report_note(root)} shows mfa_active = false for the root user")
    if said_no:
        yield Result.of(Status.FAIL, root, f"The root user has no MFA: {'; '.join(said_no)}.", details=details)
    else:
        said_yes = [s for s, v in (("the account summary", root.summary_mfa), (_report_note(root), root.report_mfa))
                    if v]
        yield Result.of(Status.PASS, root, f"The root user has MFA according to {' and '.join(said_yes)}.",
                        details=details)


@check(
    id="iam_user_console_mfa",
    title="IAM users with a console password have MFA",
    problem="IAM users sign in to the console without MFA",
    resources=["iam.credential_report"],
    severity="high",
    remediation="Assign an MFA device to the user (or remove the console password if the user does not sign "
    "in); enforce MFA with a policy that denies actions when aws:MultiFactorAuthPresent is false.",
)
def iam_user_console_mfa(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every IAM user who can sign in to the console (a password is enabled) has an MFA device; users without
    a password are not applicable. The root user is judged by ``iam_root_mfa``."""
    rows: list[CredentialReportRow] = [r for r in view.get("iam.credential_report") if not r.is_root]
    for row in rows:
        if not row.password_enabled:
            yield Result.of(Status.NOT_APPLICABLE, row, f"User {row.user} has no console password.")
        elif row.mfa_active:
            yield Result.of(Status.PASS, row, f"User {row.user} signs in to the console with MFA.")
        else:
            last = (f"; the password was last used {days_since(view.now, row.password_last_used)} days ago"
                    if row.password_last_used else "; the password has never been used")
            yield Result.of(Status.FAIL, row, f"User {row.user} has a console password but no MFA device{last}.")


@check(
    id="iam_user_no_direct_admin",
    title="No IAM user holds full administrative rights",
    problem="IAM users hold full administrative rights",
    resources=["iam.user_policies"],
    severity="high",
    remediation="Remove the administrative policy from the user and its groups; grant administration through "
    "a role assumed with MFA (or IAM Identity Center permission sets) and scope day-to-day access.",
)
def iam_user_no_direct_admin(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """No IAM user is allowed every action on every resource by any policy that applies to it: inline, attached
    managed, or through a group's inline or attached policies. Policy documents are evaluated, not names;
    a permissions boundary that does not itself allow everything caps the user."""
    for user in view.get("iam.user_policies"):
        assert isinstance(user, UserPolicies)
        grants = [f"{doc.source}: {g}" for doc in user.policies for g in full_admin_grants(doc.document)]
        details: dict[str, Any] = {"groups": list(user.groups), "policies_evaluated": len(user.policies),
                                   "admin_grants": grants, "permissions_boundary": user.boundary_arn}
        if user.missing_policies:
            details["policies_without_document"] = list(user.missing_policies)
        if not grants:
            note = (f"; {len(user.missing_policies)} attached policy document(s) were not returned"
                    if user.missing_policies else "")
            count = (f"none of its {len(user.policies)} policies allows" if user.policies
                     else "no policy (inline, attached or through a group) grants")
            yield Result.of(Status.PASS, user, f"User {user.user}: {count} every action on every resource{note}.",
                            details=details)
        elif user.boundary is not None and not full_admin_grants(user.boundary.document):
            yield Result.of(Status.PASS, user, f"User {user.user} is granted every action on every resource "
                            f"({grants[0]}), but its permissions boundary {user.boundary_arn} does not allow "
                            "everything, so the user is not a full administrator.", details=details)
        else:
            capped = (f"; its permissions boundary {user.boundary_arn} could not be evaluated"
                      if user.boundary_arn and user.boundary is None else "")
            yield Result.of(Status.FAIL, user, f"User {user.user} has full administrative rights: "
                            f"{'; '.join(grants)}{capped}.", details=details)


@check(
    id="iam_password_policy",
    title="The account password policy meets the organization's minimums",
    problem="The account password policy is weaker than the organization's minimums",
    resources=["iam.password_policy"],
    severity="medium",
    remediation="Set the account password policy (UpdateAccountPasswordPolicy) to at least the configured "
    "minimum length and reuse prevention, and the configured maximum age if the organization requires expiry.",
    params={
        "password_min_length": {"type": "integer", "min": 6, "max": 128, "default": 14},
        "password_reuse_prevention": {"type": "integer", "min": 0, "max": 24, "default": 24},
        "password_max_age_days": {"type": "integer", "min": 0, "max": 1095, "default": 0},
    },
)
def iam_password_policy(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """An account password policy exists with a minimum length of at least ``password_min_length``, prevents
    reuse of at least ``password_reuse_prevention`` previous passwords (0: not required) and, when
    ``password_max_age_days`` is above 0, expires passwords at least that often. The default does not
    require expiry, following NIST SP 800-63B."""
    for policy in view.get("iam.password_policy"):
        assert isinstance(policy, PasswordPolicy)
        details = {"exists": policy.exists, "minimum_length": policy.minimum_length,
                   "reuse_prevention": policy.reuse_prevention, "max_age_days": policy.max_age_days}
        if not policy.exists:
            yield Result.of(Status.FAIL, policy, "The account has no password policy, so IAM users may set "
                            "passwords of 8 characters that never expire and may be reused.", details=details)
            continue
        gaps = []
        if (policy.minimum_length or 0) < params["password_min_length"]:
            gaps.append(f"minimum length is {policy.minimum_length or 'unset'}, below "
                        f"{params['password_min_length']}")
        if (policy.reuse_prevention or 0) < params["password_reuse_prevention"]:
            gaps.append(f"reuse prevention remembers {policy.reuse_prevention or 0} password(s), below "
                        f"{params['password_reuse_prevention']}")
        max_age = params["password_max_age_days"]
        if max_age and (policy.max_age_days is None or policy.max_age_days > max_age):
            gaps.append("passwords do not expire" if policy.max_age_days is None
                        else f"passwords expire after {policy.max_age_days} days, beyond {max_age}")
        if gaps:
            yield Result.of(Status.FAIL, policy, f"The password policy falls short: {'; '.join(gaps)}.",
                            details=details)
        else:
            expiry = (f", expiry after {policy.max_age_days} days" if policy.max_age_days else ", no expiry")
            yield Result.of(Status.PASS, policy, f"The password policy requires at least {policy.minimum_length} "
                            f"characters, remembers {policy.reuse_prevention or 0} previous password(s)"
                            f"{expiry}.", details=details)



# --- least privilege beyond users --------------------------------------------------------------------------


def _approved(name: str, patterns: list[str]) -> str | None:
    return next((p for p in patterns if fnmatchcase(name, p)), None)


@check(
    id="iam_role_no_admin",
    title="No IAM role holds full administrative rights unless it is an approved privileged role",
    problem="IAM roles hold full administrative rights without being approved privileged roles",
    resources=["iam.roles"],
    severity="high",
    remediation="Replace the administrative policy with one scoped to what the role's workload or people need; "
    "if the role is a deliberate break-glass or administration role, add its name to privileged_roles and "
    "restrict who may assume it (MFA, a named principal, aws:PrincipalOrgID).",
    params={"privileged_roles": {"type": "list", "schema": {"type": "string", "empty": False},
                                 "default": ["OrganizationAccountAccessRole"]}},
)
def iam_role_no_admin(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """No role is allowed every action on every resource (``Action`` ``*``, or a ``NotAction`` that leaves IAM
    escalation in) by its inline or attached policies, after Denies and its permissions boundary; the policy
    documents are evaluated, not their names. Service-linked roles are not applicable (AWS owns them); roles
    named in ``privileged_roles`` (wildcards allowed) pass, with the reason shown."""
    approved = list(params["privileged_roles"])
    for role in view.get("iam.roles"):
        assert isinstance(role, Role)
        if role.service_linked:
            yield Result.of(Status.NOT_APPLICABLE, role, f"Role {role.role} is service-linked: AWS defines and "
                            "maintains its permissions.")
            continue
        admin = admin_equivalent(role.permissions())
        details: dict[str, Any] = {"policies_evaluated": len(role.policies), "permissions_boundary": role.boundary_arn,
                                   "admin_grants": list(admin.granted_by) if admin else []}
        if role.missing_policies:
            details["policies_without_document"] = list(role.missing_policies)
        if admin is None:
            if role.missing_policies:
                yield Result.of(Status.ERROR, role, f"Role {role.role}: the document of attached policy "
                                f"{', '.join(role.missing_policies)} was not returned, so its rights cannot be "
                                "judged.", details=details)
                continue
            capped = (f" (its permissions boundary {role.boundary_arn} withholds the rest)"
                      if role.boundary_arn and any(admin_statement(s) for d in role.policies
                                                   for s in statements(d.document)) else "")
            count = (f"none of its {len(role.policies)} policies allows" if role.policies
                     else "no policy grants")
            yield Result.of(Status.PASS, role, f"Role {role.role}: {count} every action on every resource"
                            f"{capped}.", details=details)
            continue
        grants = "; ".join(admin.granted_by)
        pattern = _approved(role.role, approved)
        if pattern is not None:
            details["approved_as"] = pattern
            yield Result.of(Status.PASS, role, f"Role {role.role} has full administrative rights ({grants}), and "
                            f"is an approved privileged role (privileged_roles: {pattern}).", details=details)
        else:
            cond = " (with conditions)" if admin.conditional else ""
            yield Result.of(Status.FAIL, role, f"Role {role.role} has full administrative rights{cond}: {grants}; "
                            "it is not among the approved privileged roles.", details=details)


@check(
    id="iam_user_no_attached_policies",
    title="IAM users get permissions through groups or roles, not policies of their own",
    problem="IAM users have policies of their own instead of group or role permissions",
    resources=["iam.users"],
    severity="low",
    remediation="Move the user's permissions to a group that matches the user's job (or to a role the user "
    "assumes), add the user to it, then detach or delete the user's own policies.",
)
def iam_user_no_attached_policies(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """No IAM user has an inline policy or a managed policy attached to the user itself: permissions granted
    per person drift from the job they belong to and are missed in reviews; groups and roles keep them in one
    place."""
    for user in view.get("iam.users"):
        assert isinstance(user, IamUser)
        own = [f"inline policy {p}" for p in user.inline_policies] + [
            f"managed policy {a.rsplit('/', 1)[-1]}" for a in user.attached_policies]
        details = {"inline_policies": list(user.inline_policies), "attached_policies": list(user.attached_policies),
                   "groups": list(user.groups)}
        if own:
            yield Result.of(Status.FAIL, user, f"User {user.user} has permissions of its own: {', '.join(own)}.",
                            details=details)
        else:
            via = f" (groups: {', '.join(user.groups)})" if user.groups else ""
            yield Result.of(Status.PASS, user, f"User {user.user} has no policy of its own{via}.", details=details)


@check(
    id="iam_role_trust_not_public",
    title="No IAM role can be assumed by anyone", problem="IAM roles can be assumed by anyone",
    resources=["iam.roles"],
    severity="critical",
    remediation="Name the principals that may assume the role in its trust policy, or add a condition that "
    "restricts them (sts:ExternalId for a third party, aws:PrincipalOrgID for the organization, the token's "
    "sub claim for GitHub Actions or another OIDC provider).",
)
def iam_role_trust_not_public(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """No role's trust policy lets ``*`` (any AWS account, any principal) assume it without a condition that
    restricts who that can be (``sts:ExternalId``, ``aws:PrincipalOrgID``, ``aws:SourceAccount``, ...), and no
    role trusts a multi-tenant identity provider (GitHub Actions, GitLab, Terraform Cloud, Cognito) without a
    condition on the token's subject."""
    for role in view.get("iam.roles"):
        assert isinstance(role, Role)
        open_grants = open_trust_grants(role.trust_policy)
        details = {"open_statements": [g.statement.label for g in open_grants]}
        if open_grants:
            yield Result.of(Status.FAIL, role, f"Role {role.role} can be assumed by anyone: "
                            f"{'; '.join(g.reason for g in open_grants)}.", details=details)
        else:
            yield Result.of(Status.PASS, role, f"Role {role.role}'s trust policy names who may assume it.",
                            details=details)


@check(
    id="iam_user_console_unused",
    title="Console passwords that nobody uses are removed", problem="Console passwords nobody uses are still in place",
    resources=["iam.credential_report"],
    severity="medium",
    remediation="Delete the user's console password (DeleteLoginProfile) if nobody signs in with it, and remove "
    "the user entirely if it belonged to someone who left.",
    params={"credential_inactive_days": {**DAYS, "default": 90}},
)
def iam_user_console_unused(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every IAM user with a console password signed in with it within ``credential_inactive_days``; a
    password never used counts from when it was set (or the user was created), so a new joiner passes and a
    departed team member's password does not. Users without a password are not applicable."""
    limit = params["credential_inactive_days"]
    for row in (r for r in view.get("iam.credential_report") if not r.is_root):
        assert isinstance(row, CredentialReportRow)
        if not row.password_enabled:
            yield Result.of(Status.NOT_APPLICABLE, row, f"User {row.user} has no console password.")
            continue
        since = row.password_last_changed or row.created
        if row.password_last_used is not None:
            days = days_since(view.now, row.password_last_used)
            text = f"last signed in to the console {days} days ago"
        elif since is not None:
            days = days_since(view.now, since)
            text = f"has never signed in with the console password set {days} days ago"
        else:
            days, text = limit + 1, "has a console password with no known creation or use date"
        details = {"password_last_used": row.password_last_used.isoformat() if row.password_last_used else None,
                   "inactive_days": limit}
        status = Status.FAIL if days > limit else Status.PASS
        yield Result.of(status, row, f"User {row.user} {text} (limit {limit} days).", details=details)
