"""Lambda functions with the environment of ``$LATEST`` and of every published version.

A key removed from ``$LATEST`` often survives in version 7, and versions are immutable: only
ListVersionsByFunction shows them. Environment values are held in memory only; evidence keeps the names.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.secret_source import Candidate


class PackageRef(BaseModel):
    """Which code a version runs: a zip package (by digest and size) or a container image."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    package_type: str = "Zip"
    sha256: str = ""
    size: int = 0


class LambdaFunction(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Lambda::Function"

    # version ("$LATEST", "1", ...) -> environment variables; raw values, memory only
    environments: dict[str, dict[str, str]] = Field(default_factory=dict, repr=False)
    # version -> what its code is: "Zip" packages by CodeSha256 (read by lambda.code_packages), or "Image"
    packages: dict[str, PackageRef] = Field(default_factory=dict)

    def secret_candidates(self) -> list[Candidate]:
        return [
            Candidate(field=f"environment variable {name}", value=value, name=name,
                      location="$LATEST" if version == "$LATEST" else f"version {version}")
            for version, variables in self.environments.items()
            for name, value in variables.items()
            if isinstance(value, str)
        ]


@collector("lambda.functions", service="lambda",
           permissions=["lambda:ListFunctions", "lambda:ListVersionsByFunction"], secrets=("Variables",))
def functions(ctx: Reader) -> list[LambdaFunction]:
    listed = [(raw, page.evidence) for page in ctx.paginate("lambda", "list_functions")
              for raw in page.data.get("Functions", [])]

    def with_versions(item: tuple[dict, str]) -> LambdaFunction:
        raw, listing_evidence = item
        name = raw["FunctionName"]
        environments: dict[str, dict[str, str]] = {}
        packages: dict[str, PackageRef] = {}
        evidence = [listing_evidence]
        for vpage in ctx.paginate("lambda", "list_versions_by_function", FunctionName=name):
            evidence.append(vpage.evidence)
            for version in vpage.data.get("Versions", []):
                variables = (version.get("Environment") or {}).get("Variables") or {}
                environments[str(version.get("Version", "$LATEST"))] = dict(variables)
                packages[str(version.get("Version", "$LATEST"))] = _package(version)
        if not environments:
            environments["$LATEST"] = dict((raw.get("Environment") or {}).get("Variables") or {})
            packages["$LATEST"] = _package(raw)
        return LambdaFunction(
            arn=raw.get("FunctionArn") or ctx.arn("lambda", f"function:{name}"),
            name=name, account=ctx.account, region=ctx.region, evidence=tuple(evidence),
            environments=environments, packages=packages,
        )

    return ctx.each(with_versions, listed)


def _package(config: dict) -> PackageRef:
    return PackageRef(package_type=str(config.get("PackageType") or "Zip"), sha256=str(config.get("CodeSha256") or ""),
                      size=int(config.get("CodeSize") or 0))
