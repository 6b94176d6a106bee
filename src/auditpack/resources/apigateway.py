"""API Gateway REST API stages and their stage variables.

Stage variables are plain configuration: shown by apigateway:GET to anyone allowed it, copied into every
integration request that references them, and often used to pass a backend's key. A credential belongs in
Secrets Manager or in an authorizer, not in a stage variable.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate


class ApiStage(AwsResource):
    cfn_type: ClassVar[str] = "AWS::ApiGateway::Stage"

    api_id: str
    variables: dict[str, str] = Field(default_factory=dict, repr=False)  # memory only

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"stage variable {k}", value=v, name=k) for k, v in self.variables.items()]


@collector("apigateway.stages", service="apigateway", permissions=["apigateway:GET"], secrets=("variables",))
def stages(ctx: Reader) -> list[ApiStage]:
    apis = [(raw, page.evidence) for page in ctx.paginate("apigateway", "get_rest_apis")
            for raw in page.data.get("items", [])]

    def read(item: tuple[dict, str]) -> list[ApiStage]:
        api, listing = item
        got = ctx.call("apigateway", "get_stages", restApiId=api["id"])
        return [ApiStage(
            arn=f"arn:{ctx.partition}:apigateway:{ctx.region}::/restapis/{api['id']}/stages/{stage['stageName']}",
            name=f"{api.get('name', api['id'])}/{stage['stageName']}", account=ctx.account, region=ctx.region,
            evidence=(listing, got.evidence), api_id=api["id"],
            variables={k: str(v) for k, v in (stage.get("variables") or {}).items()},
        ) for stage in got.data.get("item", [])]

    return [stage for found in ctx.each(read, apis) for stage in found]
