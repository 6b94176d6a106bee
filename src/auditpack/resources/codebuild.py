"""CodeBuild projects and their PLAINTEXT environment variables (the other types are references)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate

BATCH = 100  # BatchGetProjects accepts at most a hundred names


class BuildProject(AwsResource):
    cfn_type: ClassVar[str] = "AWS::CodeBuild::Project"

    plaintext: dict[str, str] = Field(default_factory=dict, repr=False)  # memory only

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"environment variable {k}", value=v, name=k) for k, v in self.plaintext.items()]


@collector("codebuild.projects", service="codebuild",
           permissions=["codebuild:ListProjects", "codebuild:BatchGetProjects"], secrets=("environmentVariables",))
def projects(ctx: Reader) -> list[BuildProject]:
    names: list[str] = []
    for page in ctx.paginate("codebuild", "list_projects"):
        names.extend(page.data.get("projects", []))
    out = []
    for start in range(0, len(names), BATCH):
        response = ctx.call("codebuild", "batch_get_projects", names=names[start:start + BATCH])
        for raw in response.data.get("projects", []):
            variables = (raw.get("environment") or {}).get("environmentVariables", [])
            out.append(BuildProject(
                arn=raw["arn"], name=raw["name"], account=ctx.account, region=ctx.region,
                evidence=(response.evidence,),
                plaintext={v["name"]: str(v.get("value", "")) for v in variables
                           if v.get("type", "PLAINTEXT") == "PLAINTEXT"},
            ))
    return out
