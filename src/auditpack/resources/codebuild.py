"""CodeBuild projects: their PLAINTEXT environment variables (the other types are references) and the URLs of their
source and secondary sources, where a token written as ``https://user:token@host/...`` is a credential in clear
(CodeBuild keeps repository credentials in a source credential or a CodeConnections connection instead)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate

BATCH = 100  # BatchGetProjects accepts at most a hundred names


class BuildProject(AwsResource):
    cfn_type: ClassVar[str] = "AWS::CodeBuild::Project"

    plaintext: dict[str, str] = Field(default_factory=dict, repr=False)  # memory only
    sources: dict[str, str] = Field(default_factory=dict, repr=False)  # "source" or its identifier -> location

    def secret_candidates(self) -> list[Candidate]:
        return [*(Candidate(field=f"{ENVIRONMENT} {k}", value=v, name=k) for k, v in self.plaintext.items()),
                *(Candidate(field=f"{where} location", value=url) for where, url in self.sources.items())]


ENVIRONMENT = "environment variable"  # how a variable's field begins: what each check keeps


def _sources(raw: dict) -> dict[str, str]:
    found = {"source": str((raw.get("source") or {}).get("location") or "")}
    for extra in raw.get("secondarySources") or []:
        found[f"secondary source {extra.get('sourceIdentifier', '')}".strip()] = str(extra.get("location") or "")
    return {where: url for where, url in found.items() if url}


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
                sources=_sources(raw),
            ))
    return out
