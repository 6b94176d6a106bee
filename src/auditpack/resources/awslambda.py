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
    role: str | None = None  # the execution role's ARN: what the function's code may do

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
            environments=environments, packages=packages, role=raw.get("Role"),
        )

    return ctx.each(with_versions, listed)


def _package(config: dict) -> PackageRef:
    return PackageRef(package_type=str(config.get("PackageType") or "Zip"), sha256=str(config.get("CodeSha256") or ""),
                      size=int(config.get("CodeSize") or 0))


class FunctionUrl(AwsResource):
    """A function URL (of the function or one of its aliases): ``AuthType`` ``NONE`` lets anyone invoke it.

    ``arn`` is the function's own ARN (unqualified), so that the function's findings, its secret sources'
    verdicts and its URLs all meet on one key; ``url_arn`` is the ARN the URL belongs to (an alias's, if so).
    """

    cfn_type: ClassVar[str] = "AWS::Lambda::Url"

    url: str
    url_arn: str
    auth_type: str
    role: str | None = None


def unqualified(arn: str) -> str:
    """``arn:aws:lambda:r:a:function:name:alias`` -> ``arn:aws:lambda:r:a:function:name``."""
    parts = arn.split(":")
    return ":".join(parts[:7])


@collector("lambda.function_urls", service="lambda", permissions=["lambda:ListFunctionUrlConfigs"],
           needs=["lambda.functions"])
def function_urls(ctx: Reader) -> list[FunctionUrl]:
    """Every URL of every function (one paged call per function: the listing carries none)."""

    def urls(fn: LambdaFunction) -> list[FunctionUrl]:
        out = []
        for page in ctx.paginate("lambda", "list_function_url_configs", FunctionName=fn.name):
            for raw in page.data.get("FunctionUrlConfigs", []):
                out.append(FunctionUrl(
                    arn=unqualified(raw.get("FunctionArn") or fn.arn), name=fn.name, account=ctx.account,
                    region=ctx.region, evidence=(page.evidence,), url=raw.get("FunctionUrl", ""),
                    url_arn=raw.get("FunctionArn") or fn.arn, auth_type=raw.get("AuthType", ""), role=fn.role))
        return out

    functions = [f for f in ctx.need("lambda.functions") if isinstance(f, LambdaFunction)]
    return [url for found in ctx.each(urls, functions) for url in found]
