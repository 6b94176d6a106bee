"""IAM policy documents, evaluated: who may do what, judged from the documents themselves, never from names.

One module for every question auditpack asks of a policy: does an identity hold full administrative rights
(``full_admin_grants``), which classes of damage could its credentials do (``capabilities``, a leaked key's
blast radius), and does a resource or trust policy let anyone in (``public_grants``). It follows AWS's
evaluation logic where a document alone can decide:

- an explicit ``Deny`` overrides any ``Allow``; nothing is allowed unless some statement allows it;
- ``Action``/``NotAction`` and ``Resource``/``NotResource`` with ``*`` and ``?`` wildcards, case-insensitive for
  actions (as AWS matches them) and case-sensitive for resources;
- a permissions boundary and every layer of service control policies must also allow an action;
- a trust policy is open to anyone when it lets ``*`` assume the role, or a multi-tenant identity provider
  (GitHub Actions, GitLab, Terraform Cloud, Cognito identity pools) without a condition on who the caller is
  there (``open_trust_grants``);
- a statement with a ``Condition`` applies only sometimes: an ``Allow`` with conditions is reported as
  conditional, and a ``Deny`` with conditions is not counted as blocking (the worst case, which is what a
  blast radius must show).

What it does not evaluate, and so never claims: the values inside conditions (tags, source addresses, MFA,
times: a condition is "present", not "true"; a restricting key set to ``*`` still counts as restricting),
resource-based policies combined with identity policies for a request, session policies, role chaining
(who may assume a role that is itself an administrator), and specific resource ARNs beyond matching their
patterns. S3 ACLs and Block Public Access are not policy documents: ``resources/s3.py`` applies them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# An Allow on every action except these is still administrative: whoever may call them can grant themselves
# anything. A NotAction statement that withholds all of them (PowerUserAccess withholds iam:*) is not.
ESCALATION_ACTIONS = (
    "iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachGroupPolicy", "iam:PutGroupPolicy",
    "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
    "iam:PassRole",
)

# What a stolen credential could do, by class: each class names the actions that give it (AWS's own action
# names). A class is held when any one of its actions is allowed. The lists are the actions incident reports
# and AWS's own guidance name for each kind of abuse; an action missing here narrows a class, never widens it.
CAPABILITY_ACTIONS: dict[str, tuple[str, ...]] = {
    "create-principals-or-keys": (
        "iam:CreateUser", "iam:CreateRole", "iam:CreateAccessKey", "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile", "iam:CreateServiceSpecificCredential", "iam:AttachUserPolicy",
        "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:AttachGroupPolicy",
        "iam:PutGroupPolicy", "iam:CreatePolicyVersion", "iam:AddUserToGroup", "iam:UpdateAssumeRolePolicy",
    ),
    "pass-role": ("iam:PassRole",),
    "launch-compute": (
        "ec2:RunInstances", "ec2:RequestSpotInstances", "ec2:RequestSpotFleet", "ec2:CreateFleet",
        "lambda:CreateFunction", "lambda:UpdateFunctionCode", "ecs:RunTask", "ecs:CreateService",
        "batch:SubmitJob", "autoscaling:CreateAutoScalingGroup", "sagemaker:CreateNotebookInstance",
        "sagemaker:CreateTrainingJob", "lightsail:CreateInstances", "codebuild:StartBuild",
    ),
    "read-secrets": (
        "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "ssm:GetParameter",
        "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
    ),
    "read-data": (
        "s3:GetObject", "s3:ListBucket", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
        "dynamodb:Scan", "dynamodb:ExportTableToPointInTime", "rds:CreateDBSnapshot", "rds:CopyDBSnapshot",
        "rds:ModifyDBSnapshotAttribute", "rds:RestoreDBInstanceFromDBSnapshot", "rds:CreateDBClusterSnapshot",
        "rds:CopyDBClusterSnapshot", "rds:ModifyDBClusterSnapshotAttribute", "rds:RestoreDBClusterFromSnapshot",
    ),
    "kms-decrypt": ("kms:Decrypt", "kms:ReEncryptFrom"),
    "disable-logging-or-detection": (
        "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
        "cloudtrail:PutEventSelectors", "guardduty:DeleteDetector", "guardduty:UpdateDetector",
        "guardduty:DisassociateFromAdministratorAccount", "config:StopConfigurationRecorder",
        "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "securityhub:DisableSecurityHub",
        "logs:DeleteLogGroup", "cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions",
        "events:DisableRule", "events:DeleteRule",
    ),
}
ADMIN = "admin-equivalent"
CAPABILITIES = (ADMIN, *CAPABILITY_ACTIONS)

# Condition keys that restrict who a wildcard principal can be: with one of them a policy open to "*" is open
# only to an organization, an account, a source or a shared secret (AWS's guidance for resource policies and
# for third parties assuming a role).
RESTRICTING_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc",
    "aws:SourceVpce", "aws:SourceIp", "aws:userid", "aws:username", "sts:ExternalId", "kms:CallerAccount",
    "kms:ViaService", "aws:CalledVia", "aws:ResourceOrgID", "aws:ResourceAccount", "aws:PrincipalServiceName",
    "cognito-identity.amazonaws.com:aud", "token.actions.githubusercontent.com:sub",
))


def as_list(value: Any) -> list[str]:
    """A policy element (a string or a list of them) as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@lru_cache(maxsize=4096)
def _pattern(glob: str, fold: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE if fold else 0)


def action_matches(pattern: str, action: str) -> bool:
    """IAM's action matching: wildcards, service prefix included, case-insensitive; ``*:*`` is ``*``."""
    pattern = pattern.strip()
    return pattern in ("*", "*:*") or bool(_pattern(pattern, True).match(action))


def resource_matches(pattern: str, resource: str) -> bool:
    """A resource pattern against a resource (or against another pattern, when ``resource`` is ``*``: only
    ``*`` covers every resource)."""
    pattern = pattern.strip()
    if pattern == "*":
        return True
    return resource != "*" and bool(_pattern(pattern, False).match(resource))


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, where it came from, and its elements as lists."""

    source: str  # in words: "inline policy deploy", "group admins managed policy arn:..."
    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any = None
    not_principal: Any = None
    condition: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def label(self) -> str:
        """How a finding names it: ``inline policy deploy, statement 'AllowAll'``."""
        name = f"statement {self.sid!r}" if self.sid else f"statement {self.index + 1}"
        return f"{self.source}, {name}" if self.source else name

    @property
    def conditional(self) -> bool:
        return bool(self.condition)

    def covers_action(self, action: str) -> bool:
        if self.actions is not None:
            return any(action_matches(p, action) for p in self.actions)
        if self.not_actions is not None:
            return not any(action_matches(p, action) for p in self.not_actions)
        return False

    def covers_resource(self, resource: str = "*") -> bool:
        """Whether the statement applies to ``resource``; ``*`` asks whether it applies to every resource."""
        if self.resources is not None:
            return any(resource_matches(p, resource) for p in self.resources)
        if self.not_resources is not None:
            return resource != "*" and not any(resource_matches(p, resource) for p in self.not_resources)
        return True  # trust policies and SCPs may omit Resource

    def touches_any_resource(self) -> bool:
        """Whether it applies to some resource at all (a NotResource statement applies to the rest)."""
        return self.resources is None or bool(self.resources)


def statements(document: dict[str, Any] | None, source: str = "") -> list[Statement]:
    """The statements of a policy document; malformed entries are skipped, never guessed at."""
    raw = (document or {}).get("Statement", [])
    items = [raw] if isinstance(raw, dict) else [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []
    out = []
    for i, stmt in enumerate(items):
        def listed(key: str, element: dict[str, Any] = stmt) -> tuple[str, ...] | None:
            return tuple(as_list(element[key])) if key in element else None

        out.append(Statement(
            source=source, index=i, sid=str(stmt["Sid"]) if stmt.get("Sid") else None,
            effect=str(stmt.get("Effect", "")), actions=listed("Action"), not_actions=listed("NotAction"),
            resources=listed("Resource"), not_resources=listed("NotResource"),
            principal=stmt.get("Principal"), not_principal=stmt.get("NotPrincipal"),
            condition=stmt.get("Condition") if isinstance(stmt.get("Condition"), dict) else {},
        ))
    return out


# -- full administrative rights ----------------------------------------------------------------------------


def withholds_escalation(not_actions: Sequence[str]) -> bool:
    """True when every privilege-escalating IAM action is matched by a NotAction pattern."""
    return all(any(action_matches(p, a) for p in not_actions) for a in ESCALATION_ACTIONS)


def admin_statement(stmt: Statement) -> str | None:
    """Why a statement grants full administrative rights, in words, or None.

    ``Action`` ``*`` (or ``*:*``) on ``Resource`` ``*`` does; so does ``NotAction`` on ``*`` unless it withholds
    every privilege-escalating IAM action (``ESCALATION_ACTIONS``). ``NotResource`` statements are not counted.
    Conditions do not exempt a statement: they are mentioned.
    """
    if stmt.effect != "Allow" or stmt.not_resources is not None:
        return None
    if "*" not in [r.strip() for r in stmt.resources or ()]:
        return None
    cond = " (with conditions)" if stmt.conditional else ""
    name = f"statement {stmt.sid!r}" if stmt.sid else f"statement {stmt.index + 1}"
    if stmt.actions is not None and any(a.strip() in ("*", "*:*") for a in stmt.actions):
        return f"{name} allows Action * on Resource *{cond}"
    if stmt.not_actions is not None and not withholds_escalation(stmt.not_actions):
        excluded = ", ".join(stmt.not_actions) or "nothing"
        return f"{name} allows every action except {excluded} on Resource *, IAM included{cond}"
    return None


def full_admin_grants(document: dict[str, Any]) -> list[str]:
    """Statements of a policy document that allow every action on every resource, described in words."""
    return [why for stmt in statements(document) if (why := admin_statement(stmt))]


# -- what an identity may do ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Permissions:
    """Every document that decides what one identity may do: its identity policies (inline, attached, through
    groups), its permissions boundary if any, and the service control policies above its account (each
    element of ``scps`` is one level of the organization: the root, an OU, the account)."""

    identity: tuple[Statement, ...]
    boundary: tuple[Statement, ...] | None = None
    scps: tuple[tuple[Statement, ...], ...] = ()

    @classmethod
    def of(cls, documents: Iterable[tuple[str, dict[str, Any]]], boundary: tuple[str, dict[str, Any]] | None = None,
           scps: Iterable[Iterable[tuple[str, dict[str, Any]]]] = ()) -> Permissions:
        """From ``(source, document)`` pairs, the way collectors describe where a policy comes from."""
        return cls(
            identity=tuple(s for source, doc in documents for s in statements(doc, source)),
            boundary=tuple(statements(boundary[1], boundary[0])) if boundary else None,
            scps=tuple(tuple(s for source, doc in level for s in statements(doc, source)) for level in scps),
        )


@dataclass(frozen=True)
class Decision:
    """Whether an action is allowed on a resource, and which statements say so."""

    allowed: bool
    granted_by: tuple[Statement, ...] = ()
    denied_by: tuple[Statement, ...] = ()
    capped_by: str | None = None  # "permissions boundary" or "service control policy" when they withhold it

    @property
    def conditional(self) -> bool:
        """Allowed only when conditions hold (every granting statement has one)."""
        return self.allowed and all(s.conditional for s in self.granted_by)


def _allowing(stmts: Iterable[Statement], action: str, resource: str) -> list[Statement]:
    return [s for s in stmts if s.effect == "Allow" and s.covers_action(action)
            and (s.covers_resource(resource) if resource != "*" else s.touches_any_resource())]


def _denying(stmts: Iterable[Statement], action: str, resource: str) -> list[Statement]:
    """Unconditional Denies that cover the action on the resource (on every resource, when ``*``)."""
    return [s for s in stmts if s.effect == "Deny" and not s.conditional and s.covers_action(action)
            and s.covers_resource(resource)]


def evaluate(permissions: Permissions, action: str, resource: str = "*") -> Decision:
    """AWS's decision for one action, as far as documents decide it (``resource`` ``*``: on some resource)."""
    every = [*permissions.identity, *(permissions.boundary or ()), *(s for level in permissions.scps for s in level)]
    denied = _denying(every, action, resource)
    granted = _allowing(permissions.identity, action, resource)
    if denied:
        return Decision(False, tuple(granted), tuple(denied))
    if not granted:
        return Decision(False)
    if permissions.boundary is not None and not _allowing(permissions.boundary, action, resource):
        return Decision(False, tuple(granted), capped_by="permissions boundary")
    for level in permissions.scps:
        if not _allowing(level, action, resource):
            return Decision(False, tuple(granted), capped_by="service control policy")
    return Decision(True, tuple(granted))


@dataclass(frozen=True)
class Capability:
    """One class of damage an identity's credentials could do, and the statements that give it."""

    name: str
    actions: tuple[str, ...]  # the class's actions that are allowed
    granted_by: tuple[str, ...]  # statement labels
    conditional: bool  # every granting statement carries a condition


def admin_equivalent(permissions: Permissions) -> Capability | None:
    """The ``admin-equivalent`` capability if the identity holds it: some statement grants full administrative
    rights (``admin_statement``) and no unconditional Deny, boundary or SCP takes an escalation action away."""
    admins = [s for s in permissions.identity if admin_statement(s)]
    if not admins or not all(evaluate(permissions, a).allowed for a in ESCALATION_ACTIONS):
        return None
    return Capability(ADMIN, ("*",), tuple(s.label for s in admins), all(s.conditional for s in admins))


def capabilities(permissions: Permissions) -> list[Capability]:
    """Every capability class the identity holds, in ``CAPABILITIES`` order; a class it does not hold is left
    out. ``admin-equivalent`` is held when a statement grants full administrative rights and no unconditional
    Deny, boundary or SCP takes the escalation actions away."""
    held: list[Capability] = []
    admin = admin_equivalent(permissions)
    if admin is not None:
        held.append(admin)
    for name, class_actions in CAPABILITY_ACTIONS.items():
        decisions = {a: evaluate(permissions, a) for a in class_actions}
        allowed = [a for a, d in decisions.items() if d.allowed]
        if not allowed:
            continue
        grants = list(dict.fromkeys(s.label for a in allowed for s in decisions[a].granted_by))
        held.append(Capability(name, tuple(allowed), tuple(grants),
                               all(decisions[a].conditional for a in allowed)))
    return held


# -- policies open to anyone ---------------------------------------------------------------------------------


def _principals(value: Any) -> list[str]:
    if value == "*":
        return ["*"]
    if isinstance(value, dict):
        return [p for key in ("AWS", "CanonicalUser", "Federated") for p in as_list(value.get(key))]
    return as_list(value)


def restricting_conditions(stmt: Statement) -> list[str]:
    """The condition keys of a statement that narrow who its principal can be (``RESTRICTING_KEYS``)."""
    keys = [key for operator in stmt.condition.values() if isinstance(operator, dict) for key in operator]
    return sorted({k for k in keys if k.lower() in RESTRICTING_KEYS})


def is_public(stmt: Statement) -> bool:
    """An Allow that lets any principal in: ``*`` (alone, or as ``{"AWS": "*"}``), with no condition that
    narrows who that can be. A ``NotPrincipal`` Allow is open to everyone it does not name."""
    if stmt.effect != "Allow":
        return False
    everyone = "*" in _principals(stmt.principal) or stmt.not_principal is not None
    return everyone and not restricting_conditions(stmt)


def allowed_actions(stmt: Statement) -> str:
    """What a statement allows, in words: its actions, or every action but its NotAction list."""
    if stmt.actions is not None:
        return ", ".join(stmt.actions)
    return "every action except " + ", ".join(stmt.not_actions or ())


def public_grants(document: dict[str, Any] | None, source: str = "") -> list[Statement]:
    """The statements of a resource or trust policy that are open to anyone."""
    return [s for s in statements(document, source) if is_public(s)]


# -- who may assume a role ------------------------------------------------------------------------------------

ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")

# Identity providers anyone can get a token from (any GitHub repository's workflow, any GitLab project, any
# Terraform Cloud workspace, any Cognito identity pool's guest): a role that trusts one without a condition on
# the token's subject (or audience, for Cognito) can be assumed by strangers. The value is the claim AWS's
# guidance says to pin.
OPEN_IDENTITY_PROVIDERS = {
    "token.actions.githubusercontent.com": "sub",
    "gitlab.com": "sub",
    "app.terraform.io": "sub",
    "cognito-identity.amazonaws.com": "aud",
}


def _assumes(stmt: Statement) -> bool:
    return stmt.effect == "Allow" and any(stmt.covers_action(a) for a in ASSUME_ACTIONS)


def open_identity_provider(stmt: Statement) -> str | None:
    """The multi-tenant identity provider a statement trusts without pinning its subject claim, or None."""
    federated = as_list(stmt.principal.get("Federated")) if isinstance(stmt.principal, dict) else []
    keys = {key.lower() for operator in stmt.condition.values() if isinstance(operator, dict) for key in operator}
    for principal in federated:
        provider = principal.split("oidc-provider/", 1)[-1]
        claim = OPEN_IDENTITY_PROVIDERS.get(provider)
        if claim and f"{provider}:{claim}".lower() not in keys:
            return provider
    return None


@dataclass(frozen=True)
class OpenTrust:
    """A trust policy statement that lets strangers assume the role, and why, in words."""

    statement: Statement
    reason: str


def open_trust_grants(document: dict[str, Any] | None, source: str = "trust policy") -> list[OpenTrust]:
    """The statements of a role trust policy that let anyone assume the role: ``*`` (or every principal but
    some, with ``NotPrincipal``) without a restricting condition, or an open identity provider's tokens
    without a condition on their subject."""
    out = []
    for stmt in statements(document, source):
        if not _assumes(stmt):
            continue
        if is_public(stmt):
            out.append(OpenTrust(stmt, f"{stmt.label} lets any principal (*) assume the role with no condition "
                                       "on who it is (such as sts:ExternalId or aws:PrincipalOrgID)"))
        elif (provider := open_identity_provider(stmt)) is not None:
            claim = OPEN_IDENTITY_PROVIDERS[provider]
            out.append(OpenTrust(stmt, f"{stmt.label} trusts every token from {provider}, with no condition on "
                                       f"{provider}:{claim}, so anyone with an account there can assume the role"))
    return out
