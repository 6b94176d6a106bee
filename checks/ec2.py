"""EC2: workloads get credentials from a role, and the metadata service that hands them out needs IMDSv2.

Together with ``ec2_user_data_no_secrets`` these answer "does this workload use a role or a user's key?".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.ec2 import Instance
from auditpack.resources.iam import InstanceProfile
from auditpack.resources.inventory import InventoryView


def _profile_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _profiles(view: InventoryView) -> dict[str, InstanceProfile]:
    """Profiles by ARN and by name: an instance names its profile by ARN, with the profile's path."""
    out: dict[str, InstanceProfile] = {}
    for profile in view.get("iam.instance_profiles"):
        out[profile.arn] = profile
        out.setdefault(profile.name, profile)
    return out


@check(
    id="ec2_instance_profile_attached",
    title="EC2 instances get credentials from an instance profile role",
    problem="EC2 instances run without an instance profile role",
    resources=["ec2.instances", "iam.instance_profiles"],
    severity="medium",
    remediation="Attach an instance profile with a role that grants what the workload needs "
    "(AssociateIamInstanceProfile, or AddRoleToInstanceProfile for a profile without a role), then remove any "
    "IAM user access keys from the instance.",
    scope="region",
)
def ec2_instance_profile_attached(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every instance, running or stopped, has an instance profile that carries a role, so its workload can use
    short-lived role credentials instead of an IAM user's long-lived keys; the message says which, in one
    sentence."""
    profiles = _profiles(view)
    for instance in view.get("ec2.instances"):
        assert isinstance(instance, Instance)
        details: dict[str, Any] = {"instance_id": instance.instance_id, "state": instance.state,
                                   "instance_profile_arn": instance.instance_profile_arn}
        arn = instance.instance_profile_arn
        if not arn:
            yield Result.of(Status.FAIL, instance, f"Instance {instance.name} ({instance.state}, "
                            f"{instance.region}) has no instance profile, so any AWS credentials its workload "
                            "uses are not from a role and are likely an IAM user's long-lived keys.",
                            details=details)
            continue
        profile = profiles.get(arn) or profiles.get(_profile_name(arn))
        evidence = [*instance.evidence, *(profile.evidence if profile else ())]
        if profile is None or not profile.role_names:
            why = "was not found in the account" if profile is None else "carries no role"
            yield Result.of(Status.FAIL, instance, f"Instance {instance.name} ({instance.state}, "
                            f"{instance.region}) has instance profile {_profile_name(arn)}, but the profile {why}, "
                            "so its workload gets no role credentials from it.", evidence=evidence,
                            details=details)
            continue
        details["roles"] = list(profile.role_names)
        yield Result.of(Status.PASS, instance, f"Instance {instance.name} ({instance.state}) gets short-lived "
                        f"credentials from role {', '.join(profile.role_names)} through instance profile "
                        f"{profile.name}.", evidence=evidence, details=details)


@check(
    id="ec2_imdsv2_required",
    title="EC2 instances require IMDSv2",
    problem="EC2 instances accept IMDSv1 metadata requests",
    resources=["ec2.instances"],
    severity="medium",
    remediation="Require session tokens on the instance metadata service (ModifyInstanceMetadataOptions "
    "HttpTokens=required), and set it as the account default for new instances.",
    scope="region",
)
def ec2_imdsv2_required(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every instance requires IMDSv2 session tokens (``HttpTokens`` = ``required``), which stops SSRF-style
    requests from reading the role credentials; an instance with the metadata endpoint disabled passes."""
    for instance in view.get("ec2.instances"):
        assert isinstance(instance, Instance)
        details = {"instance_id": instance.instance_id, "http_tokens": instance.http_tokens,
                   "http_endpoint": instance.http_endpoint}
        if instance.http_endpoint == "disabled":
            yield Result.of(Status.PASS, instance, f"Instance {instance.name} has its metadata endpoint "
                            "disabled, so no credentials can be read from it.", details=details)
        elif instance.http_tokens == "required":
            yield Result.of(Status.PASS, instance, f"Instance {instance.name} requires IMDSv2 tokens.",
                            details=details)
        else:
            yield Result.of(Status.FAIL, instance, f"Instance {instance.name} ({instance.region}) accepts IMDSv1 "
                            f"requests (HttpTokens = {instance.http_tokens or 'unset'}), so any role credentials "
                            "it holds can be read from its metadata service without a session token.", details=details)
