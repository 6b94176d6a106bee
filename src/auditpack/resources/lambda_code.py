"""The code Lambda stores: function packages (``$LATEST`` and every published version) and the account's own
layer versions, read once per ``CodeSha256``.

A key written into a source file is as exposed as one in an environment variable: anyone allowed
lambda:GetFunction (or lambda:GetLayerVersion) downloads the package. A package is fetched through the gate from
the presigned ``Location`` its read call hands out (``Reader.download``: evidence records the URL without its
signature, the size and the digest, never the content), opened in memory, and only its text members are kept for
the detector. A package shared by versions, functions or layers (the same digest) is downloaded and judged once
per scan (``Reader.once``; the detector judges identical values once). Image-based functions have no package.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.awslambda import LambdaFunction
from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.packages import PackageText, read_text_members
from auditpack.resources.secret_source import Candidate

# The caps are the checks' parameters (lambda_code_no_secrets, lambda_layer_no_secrets declare them).
MAX_PACKAGE = "lambda_package_max_bytes"
MAX_MEMBER = "lambda_package_max_file_bytes"
MAX_TEXT = "lambda_package_max_text_bytes"


class CodePackage(AwsResource):
    """One function package, by digest, and the function versions that run it."""

    cfn_type: ClassVar[str] = "AWS::Lambda::Function"

    sha256: str
    size: int = 0
    used_by: tuple[tuple[str, str], ...] = ()  # (function ARN, version)
    not_read: str = ""  # why the package was not read at all (larger than the download cap, not a zip)
    text: PackageText = Field(default_factory=PackageText, repr=False)

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"file {name}", value=text, script=True) for name, text in self.text.members]


class LayerVersion(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Lambda::LayerVersion"

    sha256: str = ""
    size: int = 0
    not_read: str = ""
    text: PackageText = Field(default_factory=PackageText, repr=False)

    def secret_candidates(self) -> list[Candidate]:
        return [Candidate(field=f"file {name}", value=text, script=True) for name, text in self.text.members]


def _read(ctx: Reader, sha256: str, size: int, locate: Any) -> tuple[PackageText, tuple[str, ...], str]:
    """(text, evidence, why not read) of the package with this digest, fetched once per scan."""
    cap = ctx.parameter(MAX_PACKAGE)
    if size > cap:
        return PackageText(), (), f"its {size}-byte package is larger than the {cap}-byte download cap"

    def fetch() -> tuple[PackageText, tuple[str, ...], str]:
        location, evidence, handed_out_by = locate()
        got = ctx.download("lambda", location, handed_out_by=handed_out_by, max_bytes=cap, sha256=sha256)
        text = read_text_members(got.data, member_cap=ctx.parameter(MAX_MEMBER), text_cap=ctx.parameter(MAX_TEXT))
        return text, (evidence, got.evidence), text.unreadable

    return ctx.once(("lambda package", sha256), fetch)


@collector("lambda.code_packages", service="lambda", permissions=["lambda:GetFunction"], needs=["lambda.functions"],
           secrets=("Location",))
def code_packages(ctx: Reader) -> list[CodePackage]:
    """One GetFunction per distinct package (for the first version that runs it) and one download."""
    users: dict[str, list[tuple[LambdaFunction, str]]] = {}
    for fn in ctx.need("lambda.functions"):
        for version, ref in fn.packages.items():
            if ref.package_type == "Zip" and ref.sha256:
                users.setdefault(ref.sha256, []).append((fn, version))

    def package(item: tuple[str, list[tuple[LambdaFunction, str]]]) -> CodePackage:
        sha256, running = item
        fn, version = running[0]
        size = fn.packages[version].size

        def locate() -> tuple[str, str, str]:
            got = ctx.call("lambda", "get_function", FunctionName=fn.name, Qualifier=version)
            return str((got.data.get("Code") or {}).get("Location", "")), got.evidence, "GetFunction"

        text, evidence, not_read = _read(ctx, sha256, size, locate)
        return CodePackage(arn=ctx.arn("lambda", f"code-package:{sha256}"), name=sha256, account=ctx.account,
                           region=ctx.region, evidence=evidence, sha256=sha256, size=size,
                           used_by=tuple((f.arn, v) for f, v in running), not_read=not_read, text=text)

    return ctx.each(package, sorted(users.items()))


@collector("lambda.layer_versions", service="lambda",
           permissions=["lambda:ListLayers", "lambda:ListLayerVersions", "lambda:GetLayerVersion"],
           secrets=("Location",))
def layer_versions(ctx: Reader) -> list[LayerVersion]:
    """Every version of the account's own layers: GetLayerVersion gives each one's digest and download URL."""
    listed = [(layer["LayerName"], version["Version"], vpage.evidence)
              for page in ctx.paginate("lambda", "list_layers") for layer in page.data.get("Layers", [])
              for vpage in ctx.paginate("lambda", "list_layer_versions", LayerName=layer["LayerName"])
              for version in vpage.data.get("LayerVersions", [])]

    def read(item: tuple[str, int, str]) -> LayerVersion:
        name, number, listing = item
        got = ctx.call("lambda", "get_layer_version", LayerName=name, VersionNumber=number)
        content = got.data.get("Content") or {}
        sha256, size = str(content.get("CodeSha256", "")), int(content.get("CodeSize") or 0)
        text, evidence, not_read = _read(ctx, sha256, size,
                                         lambda: (str(content.get("Location", "")), got.evidence, "GetLayerVersion"))
        return LayerVersion(arn=str(got.data.get("LayerVersionArn") or ctx.arn("lambda", f"layer:{name}:{number}")),
                            name=f"{name}:{number}", account=ctx.account, region=ctx.region,
                            evidence=(listing, got.evidence, *evidence[1:]), sha256=sha256, size=size,
                            not_read=not_read, text=text)

    return ctx.each(read, listed)
