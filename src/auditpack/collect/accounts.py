"""Which accounts and regions a scan covers, and a session in each: the caller's own, an Organization's,
or named roles.

The caller's account is scanned with the caller's credentials. Every other account is reached by assuming a
role in it: the selection's role name (``OrganizationAccountAccessRole`` by default, the role AWS
Organizations creates in member accounts) for accounts found in the Organization or named, or an explicit
role ARN. A role that cannot be assumed does not stop the scan: that account is reported ``not-assessed``
with the reason, the rest are scanned.

Planning calls AWS like every other part: through a gate (``planning_gate``), recorded as evidence in the
caller's account. Its gate also allows ``sts:AssumeRole``, which obtains credentials and changes nothing.
Assumed credentials refresh themselves (botocore ``RefreshableCredentials``, through the same gate),
because a scan of a large organization can outlast the one-hour session an ``AssumeRole`` grants.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.credentials import RefreshableCredentials
from botocore.loaders import Loader
from botocore.session import get_session

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import ClientFactory, Gate
from auditpack.collect.redaction import sensitive_fields
from auditpack.collect.session import AccountSession, Notify
from auditpack.errors import (
    AccountsOutsideOrganization,
    AwsUnreachable,
    CredentialsRejected,
    NoCredentials,
    OrganizationUnavailable,
    RegionsUnavailable,
    UserError,
)
from auditpack.library.config import DEFAULT_ROLE_NAME, CollectionSettings
from auditpack.models import CollectionError
from auditpack.resources.base import GLOBAL_REGION, READ_ONLY, CallFailed

ROLE_ARN = re.compile(r"^arn:(aws[\w-]*):iam::(\d{12}):role/(.+)$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
SESSION_NAME = "auditpack"
# What reaching other accounts needs beyond the checks' own read permissions (``auditpack permissions``).
ORG_PERMISSIONS = ("organizations:ListAccounts",)
ASSUME_PERMISSIONS = ("sts:AssumeRole",)
PLANNING_CALLS = re.compile(rf"{READ_ONLY.pattern}|^AssumeRole$")
# An assumed role's credentials, whole: evidence shows that a role was assumed, never with what.
PLANNING_REDACTED = frozenset({"Credentials"})
SCOPE_EVIDENCE = "scope"


def planning_gate(account: str, client_factory: ClientFactory, recorder: EvidenceRecorder, home_region: str,
                  partition: str = "aws") -> Gate:
    """The gate planning calls pass: identity, regions, the Organization's accounts and assumed roles."""
    return Gate(account=account, region=GLOBAL_REGION, partition=partition, client_factory=client_factory,
                recorder=recorder, redacted=sensitive_fields() | PLANNING_REDACTED, allowed=PLANNING_CALLS,
                home_region=home_region, purpose=SCOPE_EVIDENCE)


def whoami(gate: Gate) -> tuple[str, str]:
    """(account, caller ARN); credential problems become one clear line. Recorded under the caller's account."""
    try:
        ident = gate.call("sts", "get_caller_identity", account_field="Account").data
    except CallFailed as exc:
        if exc.code == "NoCredentialsError":
            raise NoCredentials() from None
        if not exc.answered:
            raise AwsUnreachable("STS", exc.message) from None
        raise CredentialsRejected(exc.code, exc.message) from None
    return ident["Account"], ident["Arn"]


def enabled_regions(gate: Gate) -> list[str]:
    """Regions enabled for the account (opted-in or not requiring opt-in)."""
    try:
        reply = gate.call("ec2", "describe_regions", AllRegions=False)
    except CallFailed as exc:
        raise RegionsUnavailable(f"{exc.code}: {exc.message}") from None
    return sorted(r["RegionName"] for r in reply.data["Regions"])


@dataclass(frozen=True)
class AccountSelection:
    """What the user asked for: from the command line, falling back to the config's ``scope``."""

    org: bool = False
    role_name: str = DEFAULT_ROLE_NAME
    account_roles: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()  # a subset to scan; empty means every account found


@dataclass
class Unreachable:
    """An account in scope whose role could not be assumed: it is reported, never silently dropped."""

    account: str
    role_arn: str
    error_code: str
    message: str

    def errors(self, resource_types: list[str]) -> list[CollectionError]:
        """One collection error per resource type, so every check in that account becomes ``error``."""
        return [
            CollectionError(account=self.account, region=GLOBAL_REGION, service="sts", operation="AssumeRole",
                            error_code=self.error_code,
                            message=f"could not assume {self.role_arn}: {self.message}"[:500],
                            resource_type=rtype)
            for rtype in resource_types
        ]


@dataclass
class AccountPlan:
    sessions: list[AccountSession] = field(default_factory=list)
    unreachable: list[Unreachable] = field(default_factory=list)

    @property
    def account_ids(self) -> list[str]:
        return sorted({s.account for s in self.sessions} | {u.account for u in self.unreachable})


def parse_account_ids(values: list[str]) -> tuple[str, ...]:
    """``--accounts`` takes a comma-separated list and may be repeated; both forms combine."""
    ids = [v.strip() for value in values for v in value.split(",") if v.strip()]
    bad = [v for v in ids if not ACCOUNT_ID.match(v)]
    if bad:
        raise UserError(f"not a 12-digit account id: {', '.join(bad)}")
    return tuple(dict.fromkeys(ids))


def parse_role_arns(values: list[str]) -> tuple[str, ...]:
    bad = [v for v in values if not ROLE_ARN.match(v)]
    if bad:
        raise UserError(f"not an IAM role ARN (arn:aws:iam::123456789012:role/Name): {', '.join(bad)}")
    return tuple(dict.fromkeys(values))


def organization_accounts(gate: Gate) -> list[str]:
    """ACTIVE accounts of the caller's Organization; the caller must be its management (or delegated) account."""
    ids: list[str] = []
    try:
        for page in gate.paginate("organizations", "list_accounts"):
            for account in page.data["Accounts"]:
                # ``Status`` is deprecated in favour of ``State``; read whichever the API returns.
                if (account.get("State") or account.get("Status")) == "ACTIVE":
                    ids.append(account["Id"])
    except CallFailed as exc:
        if not exc.answered:
            raise OrganizationUnavailable(exc.message, reachable=False) from None
        raise OrganizationUnavailable(f"{exc.code}: {exc.message}") from None
    if not ids:  # AWS always lists at least the management account; an empty answer means no Organization
        raise OrganizationUnavailable("it lists no ACTIVE account")
    return sorted(ids)


def _assume(gate: Gate, role_arn: str) -> dict[str, Any]:
    return gate.call("sts", "assume_role", RoleArn=role_arn, RoleSessionName=SESSION_NAME).data


def assumed_session(gate: Gate, role_arn: str, home_region: str, settings: CollectionSettings,
                    loader: Loader | None = None, on_retry: Notify | None = None) -> AccountSession:
    """A session in the role's account whose credentials renew themselves before they expire.

    ``loader`` is shared by every account's session: each botocore session otherwise parses the endpoint and
    service model files again, which dominated an organization scan (docs/performance.md).
    """
    reply = _assume(gate, role_arn)

    def metadata(creds: dict[str, Any]) -> dict[str, str]:
        expiry = creds["Expiration"]
        if isinstance(expiry, datetime):
            expiry = expiry.astimezone(UTC).isoformat()
        return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"], "expiry_time": str(expiry)}

    def refresh() -> dict[str, str]:
        return metadata(_assume(gate, role_arn)["Credentials"])

    botocore_session = get_session()
    if loader is not None:
        botocore_session.register_component("data_loader", loader)
    botocore_session._credentials = RefreshableCredentials.create_from_metadata(  # the documented hook boto3
        metadata(reply["Credentials"]), refresh_using=refresh, method="sts-assume-role")  # itself relies on
    session = boto3.session.Session(botocore_session=botocore_session, region_name=home_region)
    account = ROLE_ARN.match(role_arn).group(2)  # type: ignore[union-attr]
    return AccountSession(session, account, reply["AssumedRoleUser"]["Arn"], settings, on_retry=on_retry)


def plan_accounts(caller: AccountSession, gate: Gate, selection: AccountSelection, home_region: str,
                  settings: CollectionSettings, max_workers: int = 8) -> AccountPlan:
    """Sessions for every account in scope; accounts whose role cannot be assumed are listed apart.

    ``gate`` is the caller's planning gate: listing the Organization and assuming roles go through it."""
    partition = caller.session.get_partition_for_region(home_region)

    def role_for(account: str) -> str:
        return f"arn:{partition}:iam::{account}:role/{selection.role_name}"

    roles: dict[str, str | None] = {caller.account: None}  # account -> role to assume (None: own credentials)
    if selection.org:
        members = organization_accounts(gate)
        roles.update({a: role_for(a) for a in members if a != caller.account})
        outside = [a for a in selection.accounts if a not in members]
        if outside:
            raise AccountsOutsideOrganization(outside)
    else:
        roles.update({a: role_for(a) for a in selection.accounts if a != caller.account})
    for arn in selection.account_roles:
        roles[ROLE_ARN.match(arn).group(2)] = arn  # type: ignore[union-attr]
    if selection.accounts:
        roles = {a: r for a, r in roles.items() if a in selection.accounts}

    plan = AccountPlan()
    loader = caller.session._session.get_component("data_loader")  # one loader: each model parsed once
    if caller.account in roles and roles[caller.account] is None:
        plan.sessions.append(caller)
    targets = [(a, r) for a, r in sorted(roles.items()) if r is not None]

    def reach(target: tuple[str, str]) -> AccountSession | Unreachable:
        account, arn = target
        try:
            return assumed_session(gate, arn, home_region, settings, loader, caller.on_retry)
        except CallFailed as exc:
            return Unreachable(account, arn, exc.code, exc.message)

    # AssumeRole is one quick call per account, made before collection starts; a small pool keeps a
    # thousand-account organization from waiting on them one by one.
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(targets) or 1))) as pool:
        for outcome in pool.map(reach, targets):
            if isinstance(outcome, Unreachable):
                plan.unreachable.append(outcome)
            else:
                plan.sessions.append(outcome)
    plan.sessions.sort(key=lambda s: s.account)
    return plan
