"""The API calls the registered checks truly need: the floor a scan is measured against.

Derived at run time from whatever checks the built-in controls cite, through their collectors' declared
permissions, so the floor follows the product as check families land. Each declared operation is one of:

- an **enumeration** (botocore says it takes no required input): needed once per collector partition (each
  scanned region, or once per account for a global service), every page of it;
- **avoidable**: a per-resource read whose data an account-level read already carries (``CHEAPER_SOURCE``);
  the floor makes that read instead, once per account, and none of the per-resource calls;
- a **per-resource** read (botocore lists required inputs: a trail name, a detector id): needed once per
  distinct request the scan made. The scan's requests supply the resource ids; asking the same thing twice is
  not needed, so duplicates show up as excess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import botocore.session

# Per-resource reads that a single account-level read replaces (issue 8: "one credential report instead of
# per-user calls; no detail call when the list call already carries the configuration").
CREDENTIAL_REPORT = ("iam", ("GenerateCredentialReport", "GetCredentialReport"))
AUTHORIZATION_DETAILS = ("iam", ("GetAccountAuthorizationDetails",))
CHEAPER_SOURCE: dict[str, tuple[str, tuple[str, ...]]] = {
    # access keys, their last use, MFA devices and console passwords are columns of the credential report
    "iam:ListAccessKeys": CREDENTIAL_REPORT,
    "iam:GetAccessKeyLastUsed": CREDENTIAL_REPORT,
    "iam:ListMFADevices": CREDENTIAL_REPORT,
    "iam:GetLoginProfile": CREDENTIAL_REPORT,
    # users', groups' and roles' policies (inline and attached) come in one paginated authorization dump
    "iam:GetUser": AUTHORIZATION_DETAILS,
    "iam:ListUserPolicies": AUTHORIZATION_DETAILS,
    "iam:GetUserPolicy": AUTHORIZATION_DETAILS,
    "iam:ListAttachedUserPolicies": AUTHORIZATION_DETAILS,
    "iam:ListGroupsForUser": AUTHORIZATION_DETAILS,
    "iam:GetRole": AUTHORIZATION_DETAILS,
    "iam:ListRolePolicies": AUTHORIZATION_DETAILS,
    "iam:GetRolePolicy": AUTHORIZATION_DETAILS,
    "iam:ListAttachedRolePolicies": AUTHORIZATION_DETAILS,
    "iam:ListGroupPolicies": AUTHORIZATION_DETAILS,
    "iam:GetGroupPolicy": AUTHORIZATION_DETAILS,
    "iam:ListAttachedGroupPolicies": AUTHORIZATION_DETAILS,
    # ListFunctions carries each function's configuration, environment variables included
    "lambda:GetFunction": ("lambda", ("ListFunctions",)),
    "lambda:GetFunctionConfiguration": ("lambda", ("ListFunctions",)),
    # ListSecrets carries rotation settings, last rotation and last access dates
    "secretsmanager:DescribeSecret": ("secretsmanager", ("ListSecrets",)),
    # DescribeInstances carries MetadataOptions and the instance profile
    "ec2:DescribeIamInstanceProfileAssociations": ("ec2", ("DescribeInstances",)),
}
# Per-resource reads botocore cannot mark as such: the operation needs one of two inputs (an id or a name), so
# neither is "required" in the model, and without either AWS answers nothing useful. One per template.
PER_RESOURCE: frozenset[str] = frozenset({"ec2:DescribeLaunchTemplateVersions"})
IDENTITY = ("sts", "GetCallerIdentity")


@dataclass(frozen=True)
class Enumeration:
    """Operations (in the collector's order) to call, every page, once per partition."""

    service: str
    operations: tuple[str, ...]
    regional: bool
    source: str  # the resource type, or the avoidable operation it stands in for


@dataclass
class NeedsPlan:
    enumerations: list[Enumeration] = field(default_factory=list)
    per_resource: set[str] = field(default_factory=set)  # "service:Operation" replayed from the scan's requests
    avoided: dict[str, str] = field(default_factory=dict)  # operation -> what carries its data instead

    def describe(self) -> list[str]:
        lines = [f"enumerate {e.service}:{'+'.join(e.operations)} "
                 f"{'per region' if e.regional else 'once per account'} ({e.source})" for e in self.enumerations]
        lines += [f"per resource {op}" for op in sorted(self.per_resource)]
        lines += [f"avoidable {op}: {instead}" for op, instead in sorted(self.avoided.items())]
        return lines


def _required_inputs(service: str, operation: str) -> list[str] | None:
    """Required members of the operation's input; None when botocore does not know the operation."""
    try:
        model = botocore.session.get_session().get_service_model(service).operation_model(operation)
    except Exception:
        return None
    return list(model.input_shape.required_members) if model.input_shape else []


def plan_for_registered_checks() -> NeedsPlan:
    """The needs of every check the built-in controls cite, through the collectors registered now."""
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS
    from auditpack.resources.base import required_collectors

    library = load_library(None, None, formats=FORMATS.names())
    resource_types = sorted({r for spec in library.checks.values() for r in spec.resources})
    plan = NeedsPlan()
    seen_replacements: set[tuple[str, tuple[str, ...]]] = set()
    for spec in required_collectors(resource_types):
        enumerated: list[str] = []
        for permission in spec.permissions:
            prefix, operation = permission.split(":", 1)
            service = prefix if _required_inputs(prefix, operation) is not None else spec.service
            if permission in CHEAPER_SOURCE:
                replacement = CHEAPER_SOURCE[permission]
                plan.avoided[permission] = f"{replacement[0]}:{'+'.join(replacement[1])}"
                if replacement not in seen_replacements:
                    seen_replacements.add(replacement)
                    plan.enumerations.append(Enumeration(replacement[0], replacement[1], spec.regional, permission))
                continue
            required = _required_inputs(service, operation)
            if required or f"{service}:{operation}" in PER_RESOURCE:
                plan.per_resource.add(f"{service}:{operation}")
            else:
                enumerated.append(operation)
        if enumerated:
            plan.enumerations.append(Enumeration(spec.service, tuple(enumerated), spec.regional, spec.resource_type))
    # A collector that already reads the cheaper source lists it itself: count that read once.
    kept: list[Enumeration] = []
    for e in plan.enumerations:
        covered = any(k.service == e.service and k.regional == e.regional and set(e.operations) <= set(k.operations)
                      for k in kept)
        if not covered:
            kept = [k for k in kept if not (k.service == e.service and k.regional == e.regional
                                            and set(k.operations) <= set(e.operations))]
            kept.append(e)
    plan.enumerations = kept
    return plan
