"""CloudFormation stacks: outputs and parameter values (NoEcho parameters come back as ``****``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate


class Stack(AwsResource):
    cfn_type: ClassVar[str] = "AWS::CloudFormation::Stack"

    outputs: dict[str, str] = Field(default_factory=dict, repr=False)  # memory only
    parameters: dict[str, str] = Field(default_factory=dict, repr=False)

    def secret_candidates(self) -> list[Candidate]:
        return [
            *(Candidate(field=f"output {k}", value=v, name=k) for k, v in self.outputs.items()),
            *(Candidate(field=f"parameter {k}", value=v, name=k) for k, v in self.parameters.items()),
        ]


@collector("cloudformation.stacks", service="cloudformation", permissions=["cloudformation:DescribeStacks"],
           secrets=("OutputValue", "ParameterValue", "ResolvedValue"))
def stacks(ctx: Reader) -> list[Stack]:
    out = []
    for page in ctx.paginate("cloudformation", "describe_stacks"):
        for raw in page.data.get("Stacks", []):
            if raw.get("StackStatus") == "DELETE_COMPLETE":
                continue
            out.append(Stack(
                arn=raw["StackId"], name=raw["StackName"], account=ctx.account, region=ctx.region,
                evidence=(page.evidence,),
                outputs={o["OutputKey"]: str(o.get("OutputValue", "")) for o in raw.get("Outputs", [])},
                parameters={p["ParameterKey"]: str(p.get("ParameterValue", "")) for p in raw.get("Parameters", [])},
            ))
    return out
