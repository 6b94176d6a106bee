"""The API calls the registered checks truly need: the floor a scan is measured against.

Derived at run time from whatever checks the built-in controls cite, through their collectors' declared
permissions, so the floor follows the product as check families land. Each declared operation is one of:

- an **enumeration** (botocore says it takes no required input): needed once per collector partition (each
  scanned region, or once per account for a global service), every page of it;
- **avoidable**: a per-resource read whose data an account-level read already carries (``CHEAPER_SOURCE``);
  the floor makes that read instead, once per account, and none of the per-resource calls;
- a **per-resource** read (botocore lists required inputs: a trail name, a detector id): needed once per
  distinct request the scan made. The scan's requests supply the resource ids; asking the same thing twice is
  not needed, so duplicates show up as excess. ``GetFunction`` is needed once per distinct code package, not per
  function version: the versions that run a package already read need not be asked for it again.

Bytes are needed the same way (``downloads_needed``, read from the seeded account, not from the scan): each
distinct function package and layer content (by ``CodeSha256``, within the download cap) once, and of each
bucket's first listed keys (up to the listing cap) the objects named like credential files, each up to the read
cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    # ListFunctions carries each function's configuration, environment variables included (GetFunction is
    # needed all the same, once per distinct code package: only it hands out the package's Location)
    "lambda:GetFunctionConfiguration": ("lambda", ("ListFunctions",)),
    # ListSecrets carries rotation settings, last rotation and last access dates
    "secretsmanager:DescribeSecret": ("secretsmanager", ("ListSecrets",)),
    # DescribeInstances carries MetadataOptions and the instance profile
    "ec2:DescribeIamInstanceProfileAssociations": ("ec2", ("DescribeInstances",)),
}
# Per-resource reads botocore cannot mark as such. A launch template's versions and a stack's template need one
# of two inputs (an id or a name), so neither is "required" in the model, and without either AWS answers
# nothing useful: one per template, one per stack. A leaked key's event history is filtered by its id (one
# lookup attribute per call), so one per key and region read, not one per account.
PER_RESOURCE: frozenset[str] = frozenset({"ec2:DescribeLaunchTemplateVersions", "cloudformation:GetTemplate",
                                          "cloudtrail:LookupEvents"})
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
    from auditpack.resources.base import calls_allowed_by, required_collectors

    library = load_library(None, None, formats=FORMATS.names())
    resource_types = sorted({r for spec in library.checks.values() for r in spec.reads})
    plan = NeedsPlan()
    seen_replacements: set[tuple[str, tuple[str, ...]]] = set()
    for spec in required_collectors(resource_types):
        enumerated: list[tuple[str, str]] = []
        for permission, (service, operation) in ((p, call) for p in spec.permissions
                                                 for call in calls_allowed_by(p, spec.service)):
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
                enumerated.append((service, operation))
        for service in dict.fromkeys(s for s, _ in enumerated):
            plan.enumerations.append(Enumeration(service, tuple(op for s, op in enumerated if s == service),
                                                 spec.regional, spec.resource_type))
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


@dataclass
class DownloadNeeds:
    """What the secret sources that read content need to download, and who first runs each package."""

    packages: int = 0  # distinct function packages and layer contents
    package_bytes: int = 0
    objects: int = 0  # candidate objects (credential-named, within the listing cap)
    object_bytes: int = 0
    package_of: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (region, function, version) -> sha

    @property
    def bytes(self) -> int:
        return self.package_bytes + self.object_bytes


def downloads_needed(regions: tuple[str, ...], params: dict[str, Any]) -> DownloadNeeds:
    """Read the account through boto3 (the emulator's environment) for what the content checks must fetch."""
    import boto3

    from auditpack.resources.lambda_code import MAX_PACKAGE
    from auditpack.resources.s3_objects import MAX_BYTES, MAX_KEYS, is_credential_file

    needs, seen = DownloadNeeds(), set()
    for region in regions:
        client = boto3.client("lambda", region_name=region)
        sized: list[tuple[str, int]] = []
        for page in client.get_paginator("list_functions").paginate():
            for fn in page["Functions"]:
                versions = client.get_paginator("list_versions_by_function")
                for vpage in versions.paginate(FunctionName=fn["FunctionName"]):
                    for v in vpage["Versions"]:
                        if v.get("PackageType", "Zip") == "Zip" and v.get("CodeSha256"):
                            needs.package_of[(region, fn["FunctionName"], v["Version"])] = v["CodeSha256"]
                            sized.append((v["CodeSha256"], int(v.get("CodeSize") or 0)))
        for page in client.get_paginator("list_layers").paginate():
            for layer in page["Layers"]:
                for vpage in client.get_paginator("list_layer_versions").paginate(LayerName=layer["LayerName"]):
                    for v in vpage["LayerVersions"]:
                        got = client.get_layer_version(LayerName=layer["LayerName"], VersionNumber=v["Version"])
                        sized.append((got["Content"]["CodeSha256"], int(got["Content"].get("CodeSize") or 0)))
        for sha, size in sized:
            if sha not in seen and size <= params[MAX_PACKAGE]:
                seen.add(sha)
                needs.packages += 1
                needs.package_bytes += size
    s3 = boto3.client("s3", region_name=regions[0])
    for bucket in s3.list_buckets()["Buckets"]:
        region = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint") or "us-east-1"
        if region not in regions:
            continue
        listed: list[tuple[str, int]] = []
        for page in boto3.client("s3", region_name=region).get_paginator("list_objects_v2").paginate(
                Bucket=bucket["Name"]):
            listed += [(o["Key"], int(o["Size"])) for o in page.get("Contents", [])]
            if len(listed) >= params[MAX_KEYS]:
                break
        for key, size in listed[:params[MAX_KEYS]]:
            if is_credential_file(key):
                needs.objects += 1
                needs.object_bytes += min(size, params[MAX_BYTES])
    return needs
