"""Elastic Beanstalk environments and their environment properties (namespace
``aws:elasticbeanstalk:application:environment``).

Environment properties are shown in the console and by elasticbeanstalk:DescribeConfigurationSettings to anyone
allowed it, and set as plain environment variables on every instance; Beanstalk can instead reference a Secrets
Manager secret or an SSM parameter (environment secrets), which the instances resolve at launch.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate

PROPERTIES = "aws:elasticbeanstalk:application:environment"


class BeanstalkEnvironment(AwsResource):
    cfn_type: ClassVar[str] = "AWS::ElasticBeanstalk::Environment"

    application: str
    properties: dict[str, str] = Field(default_factory=dict, repr=False)  # memory only

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"environment property {k}", value=v, name=k) for k, v in self.properties.items()]


@collector("elasticbeanstalk.environments", service="elasticbeanstalk",
           permissions=["elasticbeanstalk:DescribeEnvironments", "elasticbeanstalk:DescribeConfigurationSettings"],
           secrets=("Value",))
def environments(ctx: Reader) -> list[BeanstalkEnvironment]:
    listed = [(raw, page.evidence) for page in ctx.paginate("elasticbeanstalk", "describe_environments",
                                                            IncludeDeleted=False)
              for raw in page.data.get("Environments", [])]

    def read(item: tuple[dict, str]) -> BeanstalkEnvironment:
        raw, listing = item
        got = ctx.call("elasticbeanstalk", "describe_configuration_settings", ApplicationName=raw["ApplicationName"],
                       EnvironmentName=raw["EnvironmentName"])
        properties = {o["OptionName"]: str(o.get("Value", ""))
                      for setting in got.data.get("ConfigurationSettings", [])
                      for o in setting.get("OptionSettings", []) if o.get("Namespace") == PROPERTIES}
        name = raw["EnvironmentName"]
        return BeanstalkEnvironment(
            arn=raw.get("EnvironmentArn") or ctx.arn("elasticbeanstalk",
                                                     f"environment/{raw['ApplicationName']}/{name}"),
            name=name, account=ctx.account, region=ctx.region, evidence=(listing, got.evidence),
            application=raw["ApplicationName"], properties=properties,
        )

    return ctx.each(read, listed)
