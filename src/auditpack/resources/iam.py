"""IAM identities and their credentials, read with as few calls as the account size allows.

Per-user facts come from the credential report (one report for every user) and the policy graph from one
paginated ``GetAccountAuthorizationDetails`` (``iam.authorization_details``), from which users' policies, their
direct attachments and roles are all derived without another call; no call is made per user or per role.
The report carries no access key ids, so a key is named by its slot (1 or 2) and creation date.

Facts about the root user are read from two sources, the credential report's ``<root_account>`` row and the
live account summary, because the report can be hours old and the summary carries no dates.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.iam_policy import Permissions

ROOT_USER = "<root_account>"
# Seconds to wait between GenerateCredentialReport calls; the report normally completes within seconds,
# and an unbounded wait would hold a worker of the pool for ever.
POLL_DELAYS: tuple[float, ...] = (0.5, 1, 2, 3, 5, 5, 5, 5, 5)
NO_DATE = frozenset({"", "N/A", "no_information", "not_supported"})


class CredentialReportNotReady(RuntimeError):
    """AWS did not finish the credential report within the bounded wait."""


class KeySlot(BaseModel):
    """One of the two access key columns of a credential report row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot: int
    active: bool
    last_rotated: datetime | None = None  # the key's creation time, in AWS's wording
    last_used: datetime | None = None
    last_used_service: str | None = None


class CredentialReportRow(AwsResource):
    """One user (or the root user) as the credential report describes it."""

    cfn_type: ClassVar[str] = "AWS::IAM::User"

    user: str
    is_root: bool = False
    created: datetime | None = None
    password_enabled: bool = False
    password_last_used: datetime | None = None
    mfa_active: bool = False
    keys: tuple[KeySlot, ...] = ()
    report_generated: datetime | None = None
    password_last_changed: datetime | None = None


class AccessKey(AwsResource):
    """An active access key; ``arn`` and ``name`` are its user's, since findings judge the user."""

    cfn_type: ClassVar[str] = "AWS::IAM::User"

    user: str
    slot: int
    created: datetime | None = None
    last_used: datetime | None = None
    last_used_service: str | None = None


class RootAccount(AwsResource):
    """The root user's keys and MFA as each source reports them; ``None`` where a source is silent."""

    cfn_type: ClassVar[str] = "AWS::::Account"

    report_row: bool = False
    report_generated: datetime | None = None
    report_mfa: bool | None = None
    report_keys: tuple[KeySlot, ...] = ()
    summary_mfa: bool | None = None
    summary_keys: bool | None = None

    @property
    def active_report_keys(self) -> list[KeySlot]:
        return [k for k in self.report_keys if k.active]


class PasswordPolicy(AwsResource):
    """The account password policy; ``exists`` is False when the account has none (NoSuchEntity)."""

    cfn_type: ClassVar[str] = "AWS::::Account"

    exists: bool
    minimum_length: int | None = None
    reuse_prevention: int | None = None
    max_age_days: int | None = None


class PolicyDocument(BaseModel):
    """A policy document and where the user gets it from, in words an auditor can follow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    document: dict[str, Any]


class UserPolicies(AwsResource):
    """Every policy document that applies to a user: inline, attached, and through each group."""

    cfn_type: ClassVar[str] = "AWS::IAM::User"

    user: str
    groups: tuple[str, ...] = ()
    policies: tuple[PolicyDocument, ...] = ()
    boundary_arn: str | None = None
    boundary: PolicyDocument | None = None
    missing_policies: tuple[str, ...] = ()  # attached ARNs whose document the response did not carry


class AuthorizationDetails(AwsResource):
    """The raw pages of one ``GetAccountAuthorizationDetails``: every user, group, role and managed policy in use.

    Kept whole so that each IAM resource type is derived from the same pages without a further call (as
    ``iam.access_keys`` is derived from the credential report); evidence cites the pages themselves.
    """

    cfn_type: ClassVar[str] = "AWS::::Account"

    pages: tuple[dict[str, Any], ...] = Field(default=(), repr=False)


class IamUser(AwsResource):
    """A user's own attachments: inline policies and managed policies attached to the user, not via groups."""

    cfn_type: ClassVar[str] = "AWS::IAM::User"

    user: str
    groups: tuple[str, ...] = ()
    inline_policies: tuple[str, ...] = ()
    attached_policies: tuple[str, ...] = ()  # ARNs


class Role(AwsResource):
    """A role: who may assume it (its trust policy) and every policy document that gives it permissions."""

    cfn_type: ClassVar[str] = "AWS::IAM::Role"

    role: str
    path: str = "/"
    trust_policy: dict[str, Any] = Field(default_factory=dict)
    policies: tuple[PolicyDocument, ...] = ()
    boundary_arn: str | None = None
    boundary: PolicyDocument | None = None
    missing_policies: tuple[str, ...] = ()  # attached ARNs whose document the response did not carry
    last_used: datetime | None = None

    def permissions(self) -> Permissions:
        """Its policies and boundary as the policy module evaluates them."""
        return Permissions.of(((d.source, d.document) for d in self.policies),
                              boundary=(self.boundary.source, self.boundary.document) if self.boundary else None)

    @property
    def service_linked(self) -> bool:
        """AWS creates and maintains service-linked roles (path ``/aws-service-role/``); nobody can edit them."""
        return self.path.startswith("/aws-service-role/")


class InstanceProfile(AwsResource):
    """An instance profile and the role(s) it hands to instances: a profile without a role gives none."""

    cfn_type: ClassVar[str] = "AWS::IAM::InstanceProfile"

    role_names: tuple[str, ...] = ()


# --- credential report ---------------------------------------------------------------------------------------


def parse_date(value: str | None) -> datetime | None:
    """Credential report dates are ISO 8601; ``N/A``, ``no_information`` and ``not_supported`` mean none."""
    if value is None or value.strip() in NO_DATE:
        return None
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _service(value: str | None) -> str | None:
    return None if value is None or value.strip() in NO_DATE else value.strip()


def parse_report(text: str, *, account: str, generated: datetime | None = None,
                 evidence: tuple[str, ...] = ()) -> list[CredentialReportRow]:
    """Rows of a credential report CSV, the root row included, keyed by the header (column order may change)."""
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        user = raw["user"]
        keys = tuple(
            KeySlot(slot=n, active=_flag(raw.get(f"access_key_{n}_active")),
                    last_rotated=parse_date(raw.get(f"access_key_{n}_last_rotated")),
                    last_used=parse_date(raw.get(f"access_key_{n}_last_used_date")),
                    last_used_service=_service(raw.get(f"access_key_{n}_last_used_service")))
            for n in (1, 2)
        )
        rows.append(CredentialReportRow(
            arn=raw["arn"], name=user, account=account, region="global", evidence=evidence, user=user,
            is_root=user == ROOT_USER, created=parse_date(raw.get("user_creation_time")),
            password_enabled=_flag(raw.get("password_enabled")),
            password_last_used=parse_date(raw.get("password_last_used")),
            password_last_changed=parse_date(raw.get("password_last_changed")),
            mfa_active=_flag(raw.get("mfa_active")), keys=keys, report_generated=generated,
        ))
    return rows


def _decode_content(content: bytes | str) -> str:
    """botocore hands the report over as bytes (the wire's base64 already decoded)."""
    return content.decode("utf-8") if isinstance(content, bytes | bytearray) else content


@collector("iam.credential_report", service="iam",
           permissions=["iam:GenerateCredentialReport", "iam:GetCredentialReport"], regional=False)
def credential_report(ctx: Reader) -> list[CredentialReportRow]:
    """Ask for a fresh report, wait a bounded time for it, then read it: one report covers every user."""
    for delay in (*POLL_DELAYS, None):
        state = ctx.call("iam", "generate_credential_report").data.get("State")
        if state == "COMPLETE":
            break
        if delay is None:
            raise CredentialReportNotReady(
                f"credential report still {state} after {sum(POLL_DELAYS):g} s of waiting")
        time.sleep(delay)
    # Evidence keeps the report readable: the CSV as text rather than opaque bytes (it holds no secrets).
    report = ctx.call("iam", "get_credential_report", as_text=("Content",))
    return parse_report(_decode_content(report.data["Content"]), account=ctx.account,
                        generated=report.data.get("GeneratedTime"), evidence=(report.evidence,))


# --- access keys -------------------------------------------------------------------------------------------


@collector("iam.access_keys", service="iam", permissions=[], regional=False, needs=["iam.credential_report"])
def access_keys(ctx: Reader) -> list[AccessKey]:
    """Active keys, straight from the credential report: no call per user.

    The report carries no key ids, and the only call that does (ListAccessKeys) is one per user: 10,000 calls
    in a large account. A key is named instead by its slot and creation date, which identify it as surely in
    the console and in ``aws iam list-access-keys``.
    """
    out = []
    for row in ctx.need("iam.credential_report"):
        if not isinstance(row, CredentialReportRow) or row.is_root:
            continue
        for slot in (k for k in row.keys if k.active):
            out.append(AccessKey(
                arn=row.arn, name=row.user, account=ctx.account, region=row.region, evidence=row.evidence,
                user=row.user, slot=slot.slot, created=slot.last_rotated, last_used=slot.last_used,
                last_used_service=slot.last_used_service,
            ))
    return out


# --- root ----------------------------------------------------------------------------------------------------


def root_account(rows: Iterable[CredentialReportRow], summary: dict[str, Any], *, arn: str, account: str,
                 evidence: tuple[str, ...]) -> RootAccount:
    """Merge the report's root row (absent in some emulators) with the account summary's counters."""
    row = next((r for r in rows if r.is_root), None)
    mfa = summary.get("AccountMFAEnabled")
    keys = summary.get("AccountAccessKeysPresent")
    return RootAccount(
        arn=arn, name="root", account=account, region="global",
        evidence=(*(row.evidence if row else ()), *evidence),
        report_row=row is not None,
        report_generated=row.report_generated if row else None,
        report_mfa=row.mfa_active if row else None,
        report_keys=row.keys if row else (),
        summary_mfa=None if mfa is None else bool(mfa),
        summary_keys=None if keys is None else bool(keys),
    )


@collector("iam.root", service="iam", permissions=["iam:GetAccountSummary"], regional=False,
           needs=["iam.credential_report"])
def root(ctx: Reader) -> list[RootAccount]:
    summary = ctx.call("iam", "get_account_summary")
    return [root_account(ctx.need("iam.credential_report"), summary.data.get("SummaryMap", {}),
                         arn=ctx.arn("iam", "root"), account=ctx.account, evidence=(summary.evidence,))]


# --- password policy -----------------------------------------------------------------------------------------


@collector("iam.password_policy", service="iam", permissions=["iam:GetAccountPasswordPolicy"], regional=False)
def password_policy(ctx: Reader) -> list[PasswordPolicy]:
    """No policy at all (NoSuchEntity) is a fact to judge, not a failed call; it is recorded as evidence too."""
    base = {"arn": ctx.arn("iam", "root"), "name": "account password policy", "account": ctx.account,
            "region": ctx.region}
    reply = ctx.call("iam", "get_account_password_policy", absent=("NoSuchEntity",))
    if reply.absent:
        return [PasswordPolicy(**base, evidence=(reply.evidence,), exists=False)]
    policy = reply.data.get("PasswordPolicy", {})
    return [PasswordPolicy(
        **base, evidence=(reply.evidence,), exists=True,
        minimum_length=policy.get("MinimumPasswordLength"),
        reuse_prevention=policy.get("PasswordReusePrevention"),
        max_age_days=policy.get("MaxPasswordAge") if policy.get("ExpirePasswords", True) else None,
    )]


# --- policies ------------------------------------------------------------------------------------------------


def as_document(raw: Any) -> dict[str, Any]:
    """botocore decodes IAM policy documents; a raw response holds them URL-encoded JSON."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        return json.loads(unquote(raw))
    return {}


def _default_version(policy: dict[str, Any]) -> dict[str, Any] | None:
    for version in policy.get("PolicyVersionList", []):
        if version.get("IsDefaultVersion"):
            return as_document(version.get("Document"))
    return None


def _attach(attached: list[dict[str, Any]], via: str, managed: dict[str, dict[str, Any]],
            docs: list[PolicyDocument], missing: list[str]) -> None:
    for item in attached:
        arn = item["PolicyArn"]
        if arn in managed:
            docs.append(PolicyDocument(source=f"{via}managed policy {arn}", document=managed[arn]))
        else:
            missing.append(arn)


def managed_documents(pages: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The default version's document of every managed policy in the response, by ARN."""
    managed = {}
    for page in pages:
        for policy in page.get("Policies", []):
            doc = _default_version(policy)
            if doc is not None:
                managed[policy["Arn"]] = doc
    return managed


def _boundary(entity: dict[str, Any], managed: dict[str, dict[str, Any]]) -> tuple[str | None, PolicyDocument | None]:
    arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    doc = PolicyDocument(source=f"permissions boundary {arn}", document=managed[arn]) if arn in managed else None
    return arn, doc


def user_policies(pages: list[dict[str, Any]], *, account: str, evidence: tuple[str, ...]) -> list[UserPolicies]:
    """Resolve every user's effective policy documents from GetAccountAuthorizationDetails pages."""
    users = [u for p in pages for u in p.get("UserDetailList", [])]
    groups = {g["GroupName"]: g for p in pages for g in p.get("GroupDetailList", [])}
    managed = managed_documents(pages)
    out = []
    for user in users:
        docs: list[PolicyDocument] = []
        missing: list[str] = []
        for inline in user.get("UserPolicyList", []):
            docs.append(PolicyDocument(source=f"inline policy {inline['PolicyName']}",
                                       document=as_document(inline.get("PolicyDocument"))))
        _attach(user.get("AttachedManagedPolicies", []), "", managed, docs, missing)
        for group_name in user.get("GroupList", []):
            group = groups.get(group_name, {})
            for inline in group.get("GroupPolicyList", []):
                docs.append(PolicyDocument(source=f"group {group_name} inline policy {inline['PolicyName']}",
                                           document=as_document(inline.get("PolicyDocument"))))
            _attach(group.get("AttachedManagedPolicies", []), f"group {group_name} ", managed, docs, missing)
        boundary_arn, boundary = _boundary(user, managed)
        out.append(UserPolicies(
            arn=user["Arn"], name=user["UserName"], account=account, region="global", evidence=evidence,
            user=user["UserName"], groups=tuple(user.get("GroupList", [])), policies=tuple(docs),
            boundary_arn=boundary_arn, boundary=boundary, missing_policies=tuple(missing),
        ))
    return out


def users(pages: list[dict[str, Any]], *, account: str, evidence: tuple[str, ...]) -> list[IamUser]:
    """Each user's direct attachments, as listed (policy names and ARNs, not their documents)."""
    return [IamUser(
        arn=u["Arn"], name=u["UserName"], account=account, region="global", evidence=evidence, user=u["UserName"],
        groups=tuple(u.get("GroupList", [])),
        inline_policies=tuple(p["PolicyName"] for p in u.get("UserPolicyList", [])),
        attached_policies=tuple(p["PolicyArn"] for p in u.get("AttachedManagedPolicies", [])),
    ) for p in pages for u in p.get("UserDetailList", [])]


def roles(pages: list[dict[str, Any]], *, account: str, evidence: tuple[str, ...]) -> list[Role]:
    """Every role with its trust policy and the documents of its inline and attached policies."""
    managed = managed_documents(pages)
    out = []
    for raw in (r for p in pages for r in p.get("RoleDetailList", [])):
        docs: list[PolicyDocument] = [
            PolicyDocument(source=f"inline policy {inline['PolicyName']}",
                           document=as_document(inline.get("PolicyDocument")))
            for inline in raw.get("RolePolicyList", [])]
        missing: list[str] = []
        _attach(raw.get("AttachedManagedPolicies", []), "", managed, docs, missing)
        boundary_arn, boundary = _boundary(raw, managed)
        out.append(Role(
            arn=raw["Arn"], name=raw["RoleName"], account=account, region="global", evidence=evidence,
            role=raw["RoleName"], path=raw.get("Path") or "/",
            trust_policy=as_document(raw.get("AssumeRolePolicyDocument")), policies=tuple(docs),
            boundary_arn=boundary_arn, boundary=boundary, missing_policies=tuple(missing),
            last_used=(raw.get("RoleLastUsed") or {}).get("LastUsedDate"),
        ))
    return out


def _pages(ctx: Reader) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    details = ctx.need("iam.authorization_details")
    return ([p for d in details if isinstance(d, AuthorizationDetails) for p in d.pages],
            tuple(e for d in details for e in d.evidence))


@collector("iam.authorization_details", service="iam", permissions=["iam:GetAccountAuthorizationDetails"],
           regional=False)
def authorization_details(ctx: Reader) -> list[AuthorizationDetails]:
    """One paginated call returns users, groups, roles and the managed policies in use, with their documents:
    every IAM resource type below is derived from these pages."""
    pages, refs = [], []
    for page in ctx.paginate("iam", "get_account_authorization_details",
                             Filter=["User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"]):
        pages.append(page.data)
        refs.append(page.evidence)
    return [AuthorizationDetails(arn=ctx.arn("iam", "root"), name="authorization details", account=ctx.account,
                                 region=ctx.region, evidence=tuple(refs), pages=tuple(pages))]


@collector("iam.user_policies", service="iam", permissions=[], regional=False, needs=["iam.authorization_details"])
def user_policies_collector(ctx: Reader) -> list[UserPolicies]:
    """Every user's effective policy documents, from the authorization details: no call of its own."""
    pages, evidence = _pages(ctx)
    return user_policies(pages, account=ctx.account, evidence=evidence)


@collector("iam.users", service="iam", permissions=[], regional=False, needs=["iam.authorization_details"])
def users_collector(ctx: Reader) -> list[IamUser]:
    """Every user's own attachments, from the authorization details: no call of its own."""
    pages, evidence = _pages(ctx)
    return users(pages, account=ctx.account, evidence=evidence)


@collector("iam.roles", service="iam", permissions=[], regional=False, needs=["iam.authorization_details"])
def roles_collector(ctx: Reader) -> list[Role]:
    """Every role, its trust policy and its permissions, from the authorization details: no call of its own."""
    pages, evidence = _pages(ctx)
    return roles(pages, account=ctx.account, evidence=evidence)


# --- instance profiles ---------------------------------------------------------------------------------------


@collector("iam.instance_profiles", service="iam", permissions=["iam:ListInstanceProfiles"], regional=False)
def instance_profiles(ctx: Reader) -> list[InstanceProfile]:
    """Which role each instance profile carries, so an EC2 finding can name the role a workload runs as."""
    out = []
    for page in ctx.paginate("iam", "list_instance_profiles"):
        for raw in page.data.get("InstanceProfiles", []):
            out.append(InstanceProfile(
                arn=raw["Arn"], name=raw["InstanceProfileName"], account=ctx.account, region=ctx.region,
                evidence=(page.evidence,), role_names=tuple(r["RoleName"] for r in raw.get("Roles", [])),
            ))
    return out
