"""User data of EC2 instances and of every launch template version, decoded (base64, gzip) in memory.

The same version listing also gives each launch template version's metadata options, which
``ec2_launch_template_imdsv2_required`` judges: no call is made twice.

User data is readable by anyone with ec2:DescribeInstanceAttribute and by every process on the instance
through the metadata service, so a credential there is exposed however the instance is locked down.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate
from auditpack.resources.userdata import decode_user_data


class InstanceUserData(AwsResource):
    cfn_type: ClassVar[str] = "AWS::EC2::Instance"

    instance_id: str
    user_data: str = Field(default="", repr=False)  # decoded text, memory only

    def secret_candidates(self) -> list[Candidate]:
        if not self.user_data:
            return []
        return [Candidate(field="user data", value=self.user_data, script=True)]


class LaunchTemplate(AwsResource):
    cfn_type: ClassVar[str] = "AWS::EC2::LaunchTemplate"

    # version number -> decoded user data, memory only
    user_data: dict[str, str] = Field(default_factory=dict, repr=False)
    default_version: str | None = None
    latest_version: str | None = None
    # version number -> the version's MetadataOptions (HttpTokens, HttpEndpoint), as the version sets them
    metadata_options: dict[str, dict[str, str]] = Field(default_factory=dict)

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field="user data", value=text, location=f"version {version}", script=True)
                for version, text in self.user_data.items() if text]


@collector("ec2.instance_user_data", service="ec2", permissions=["ec2:DescribeInstanceAttribute"],
           needs=["ec2.instances"], secrets=("UserData",))
def instance_user_data(ctx: Reader) -> list[InstanceUserData]:
    def read(instance: Any) -> InstanceUserData:
        response = ctx.call("ec2", "describe_instance_attribute", InstanceId=instance.instance_id,
                            Attribute="userData")
        encoded = (response.data.get("UserData") or {}).get("Value")
        return InstanceUserData(
            arn=instance.arn, name=instance.name, account=ctx.account, region=ctx.region,
            evidence=(response.evidence,), instance_id=instance.instance_id,
            user_data=decode_user_data(encoded),
        )

    return ctx.each(read, ctx.need("ec2.instances"))


@collector("ec2.launch_templates", service="ec2",
           permissions=["ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"], secrets=("UserData",))
def launch_templates(ctx: Reader) -> list[LaunchTemplate]:
    out = []
    for page in ctx.paginate("ec2", "describe_launch_templates"):
        for raw in page.data.get("LaunchTemplates", []):
            template_id = raw["LaunchTemplateId"]
            evidence = [page.evidence]
            versions: dict[str, str] = {}
            metadata: dict[str, dict[str, str]] = {}
            for vpage in ctx.paginate("ec2", "describe_launch_template_versions", LaunchTemplateId=template_id):
                evidence.append(vpage.evidence)
                for version in vpage.data.get("LaunchTemplateVersions", []):
                    data = version.get("LaunchTemplateData") or {}
                    number = str(version.get("VersionNumber"))
                    versions[number] = decode_user_data(data.get("UserData"))
                    metadata[number] = {k: str(v) for k, v in (data.get("MetadataOptions") or {}).items()}
            out.append(LaunchTemplate(
                arn=ctx.arn("ec2", f"launch-template/{template_id}"),
                name=raw.get("LaunchTemplateName", template_id), account=ctx.account, region=ctx.region,
                evidence=tuple(evidence), user_data=versions, metadata_options=metadata,
                default_version=str(raw.get("DefaultVersionNumber", "")) or None,
                latest_version=str(raw.get("LatestVersionNumber", "")) or None,
            ))
    return out
