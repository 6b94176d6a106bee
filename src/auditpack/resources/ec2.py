"""EC2 instances: how each gets its credentials (instance profile) and how its metadata service is guarded."""

from __future__ import annotations

from typing import ClassVar

from auditpack.resources.base import AwsResource, Reader, collector


class Instance(AwsResource):
    cfn_type: ClassVar[str] = "AWS::EC2::Instance"

    instance_id: str
    state: str
    instance_profile_arn: str | None = None
    http_tokens: str | None = None  # "required" means IMDSv2 only
    http_endpoint: str | None = None


@collector("ec2.instances", service="ec2", permissions=["ec2:DescribeInstances"])
def instances(ctx: Reader) -> list[Instance]:
    out = []
    for page in ctx.paginate("ec2", "describe_instances"):
        for reservation in page.data.get("Reservations", []):
            for raw in reservation.get("Instances", []):
                state = raw.get("State", {}).get("Name", "unknown")
                if state in ("terminated", "shutting-down"):
                    continue
                tags = {t["Key"]: t["Value"] for t in raw.get("Tags", []) if "Key" in t}
                metadata = raw.get("MetadataOptions", {})
                instance_id = raw["InstanceId"]
                out.append(Instance(
                    arn=ctx.arn("ec2", f"instance/{instance_id}"),
                    name=tags.get("Name", instance_id),
                    account=ctx.account,
                    region=ctx.region,
                    evidence=(page.evidence,),
                    instance_id=instance_id,
                    state=state,
                    instance_profile_arn=(raw.get("IamInstanceProfile") or {}).get("Arn"),
                    http_tokens=metadata.get("HttpTokens"),
                    http_endpoint=metadata.get("HttpEndpoint"),
                ))
    return out


class MetadataDefaults(AwsResource):
    """The region's account-level instance metadata defaults: what an instance launched without its own
    ``MetadataOptions`` (and from a template without them) gets. ``None`` where no default is set."""

    cfn_type: ClassVar[str] = "AWS::::Account"

    http_tokens: str | None = None
    http_endpoint: str | None = None


@collector("ec2.metadata_defaults", service="ec2", permissions=["ec2:GetInstanceMetadataDefaults"])
def metadata_defaults(ctx: Reader) -> list[MetadataDefaults]:
    reply = ctx.call("ec2", "get_instance_metadata_defaults")
    settings = reply.data.get("AccountLevel") or {}
    return [MetadataDefaults(arn=ctx.arn("ec2", "instance-metadata-defaults"), name="instance metadata defaults",
                             account=ctx.account, region=ctx.region, evidence=(reply.evidence,),
                             http_tokens=settings.get("HttpTokens"), http_endpoint=settings.get("HttpEndpoint"))]
