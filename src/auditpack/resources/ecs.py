"""Active ECS task definitions and their containers' plain ``environment`` (``secrets`` are references)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate


class TaskDefinition(AwsResource):
    cfn_type: ClassVar[str] = "AWS::ECS::TaskDefinition"

    family: str
    # container name -> environment variables; raw values, memory only
    environments: dict[str, dict[str, str]] = Field(default_factory=dict, repr=False)

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"environment variable {name}", value=value, name=name,
                          location=f"container {container}")
                for container, variables in self.environments.items() for name, value in variables.items()]


@collector("ecs.task_definitions", service="ecs",
           permissions=["ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition"], secrets=("environment",))
def task_definitions(ctx: Reader) -> list[TaskDefinition]:
    out = []
    for page in ctx.paginate("ecs", "list_task_definitions", status="ACTIVE"):
        for arn in page.data.get("taskDefinitionArns", []):
            response = ctx.call("ecs", "describe_task_definition", taskDefinition=arn)
            raw = response.data.get("taskDefinition", {})
            environments = {}
            for container in raw.get("containerDefinitions", []):
                cname = container.get("name", "")
                environments[cname] = {e["name"]: str(e.get("value", "")) for e in container.get("environment", [])
                                       if "name" in e}
            family, revision = raw.get("family", arn), int(raw.get("revision", 0))
            out.append(TaskDefinition(
                arn=raw.get("taskDefinitionArn", arn), name=f"{family}:{revision}", account=ctx.account,
                region=ctx.region, evidence=(page.evidence, response.evidence), family=family,
                environments=environments,
            ))
    return out
