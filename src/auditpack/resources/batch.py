"""AWS Batch job definitions (active revisions) and the plain environment of every container they run.

A job definition's environment is shown by batch:DescribeJobDefinitions and passed to every job; Batch reads
``secrets`` (``valueFrom`` a Secrets Manager secret or SSM parameter) at run time instead, for container, ECS and
EKS properties alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate


def containers(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """(where, environment) of every container of a job definition: container, ECS, EKS and multi-node ones."""

    def plain(env: list[dict[str, Any]] | None) -> dict[str, str]:
        return {e["name"]: str(e.get("value", "")) for e in env or [] if "name" in e}

    def of(props: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, str]]]:
        if props.get("containerProperties") or props.get("container"):
            yield where.strip(), plain((props.get("containerProperties") or props.get("container"))
                                              .get("environment"))
        for task in (props.get("ecsProperties") or {}).get("taskProperties") or []:
            for c in task.get("containers") or []:
                yield f"{where}container {c.get('name', '')}".strip(), plain(c.get("environment"))
        pod = (props.get("eksProperties") or {}).get("podProperties") or {}
        for c in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
            yield f"{where}container {c.get('name', '')}".strip(), plain(c.get("env"))

    yield from of(raw, "")
    for node in (raw.get("nodeProperties") or {}).get("nodeRangeProperties") or []:
        yield from of(node, f"nodes {node.get('targetNodes', '')} ")


class JobDefinition(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Batch::JobDefinition"

    # where (container name) -> environment; raw values, memory only
    environments: dict[str, dict[str, str]] = Field(default_factory=dict, repr=False)

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"environment variable {name}", value=value, name=name, location=where)
                for where, variables in self.environments.items() for name, value in variables.items()]


@collector("batch.job_definitions", service="batch", permissions=["batch:DescribeJobDefinitions"],
           secrets=("environment", "env"))
def job_definitions(ctx: Reader) -> list[JobDefinition]:
    out = []
    for page in ctx.paginate("batch", "describe_job_definitions", status="ACTIVE"):
        for raw in page.data.get("jobDefinitions", []):
            environments: dict[str, dict[str, str]] = {}
            for where, env in containers(raw):
                environments.setdefault(where, {}).update(env)
            out.append(JobDefinition(
                arn=raw["jobDefinitionArn"], name=f"{raw['jobDefinitionName']}:{raw.get('revision', '')}",
                account=ctx.account, region=ctx.region, evidence=(page.evidence,), environments=environments,
            ))
    return out
