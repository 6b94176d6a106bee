"""SSM parameters: type of each, and the values of plain (String/StringList) ones only.

SecureString values are never read: with or without decryption they are not needed to judge the check,
and reading them would copy secrets into memory for nothing.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate

BATCH = 10  # GetParameters accepts at most ten names


class Parameter(AwsResource):
    cfn_type: ClassVar[str] = "AWS::SSM::Parameter"

    type: str
    value: str = Field(default="", repr=False)  # String/StringList only; memory only

    def secret_candidates(self) -> list[Candidate]:
        if self.type == "SecureString" or not self.value:
            return []
        leaf = self.name.rsplit("/", 1)[-1]
        return [Candidate(field="value", value=self.value, name=leaf)]


@collector("ssm.parameters", service="ssm", permissions=["ssm:DescribeParameters", "ssm:GetParameters"],
           secrets=("Value",))
def parameters(ctx: Reader) -> list[Parameter]:
    described: list[tuple[dict, str]] = []
    for page in ctx.paginate("ssm", "describe_parameters"):
        described.extend((raw, page.evidence) for raw in page.data.get("Parameters", []))
    plain = [raw["Name"] for raw, _ in described if raw.get("Type") != "SecureString"]
    values: dict[str, tuple[str, str]] = {}
    for start in range(0, len(plain), BATCH):
        response = ctx.call("ssm", "get_parameters", Names=plain[start:start + BATCH], WithDecryption=False)
        for got in response.data.get("Parameters", []):
            values[got["Name"]] = (str(got.get("Value", "")), response.evidence)
    out = []
    for raw, evidence in described:
        name = raw["Name"]
        value, value_evidence = values.get(name, ("", ""))
        arn = raw.get("ARN") or ctx.arn("ssm", f"parameter/{name.lstrip('/')}")
        out.append(Parameter(
            arn=arn, name=name, account=ctx.account, region=ctx.region,
            evidence=tuple(e for e in (evidence, value_evidence) if e), type=raw.get("Type", "String"), value=value,
        ))
    return out
