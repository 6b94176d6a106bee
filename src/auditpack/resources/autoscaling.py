"""EC2 Auto Scaling launch configurations and their user data, decoded (base64, gzip) in memory.

A launch configuration cannot be changed and outlives the instances it launched: a credential written into
its user data stays readable by anyone allowed autoscaling:DescribeLaunchConfigurations until the
configuration is deleted, and every instance its group starts gets it from the metadata service.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate
from auditpack.resources.userdata import decode_user_data


class LaunchConfiguration(AwsResource):
    cfn_type: ClassVar[str] = "AWS::AutoScaling::LaunchConfiguration"

    user_data: str = Field(default="", repr=False)  # decoded text, memory only

    def secret_candidates(self) -> list[Candidate]:
        if not self.user_data:
            return []
        return [Candidate(field="user data", value=self.user_data, script=True)]


@collector("autoscaling.launch_configurations", service="autoscaling",
           permissions=["autoscaling:DescribeLaunchConfigurations"], secrets=("UserData",))
def launch_configurations(ctx: Reader) -> list[LaunchConfiguration]:
    """One paginated listing carries every configuration with its user data: no call per configuration."""
    out = []
    for page in ctx.paginate("autoscaling", "describe_launch_configurations"):
        for raw in page.data.get("LaunchConfigurations", []):
            name = raw["LaunchConfigurationName"]
            out.append(LaunchConfiguration(
                arn=raw.get("LaunchConfigurationARN") or ctx.arn("autoscaling", f"launchConfiguration:*:"
                                                                               f"launchConfigurationName/{name}"),
                name=name, account=ctx.account, region=ctx.region, evidence=(page.evidence,),
                user_data=decode_user_data(raw.get("UserData")),
            ))
    return out
