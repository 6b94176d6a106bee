"""Static credentials in code Lambda stores: the files of function packages and of the account's own layers
(NIST IA-5(7)).

A function is judged by every package its versions run ($LATEST and each published version), each package read
once however many versions and functions share it. Only text files are read, each up to a size cap and up to a
cap on a package's text; what is not read is counted in the result's message, never passed over silently, and a
package that could not be read at all makes the result an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.inventory import InventoryView
from auditpack.resources.lambda_code import MAX_MEMBER, MAX_PACKAGE, MAX_TEXT
from auditpack.resources.leaked_keys import ENRICHMENT, leaks_of
from auditpack.resources.secret_source import SecretScan

from .secrets import judge, key_owners_of

MIB = 1024 * 1024
# One declaration of the caps both checks read packages under (resources.lambda_code reads them by name).
PACKAGE_CAPS: dict[str, Any] = {
    MAX_PACKAGE: {"type": "integer", "min": 1, "default": 64 * MIB},
    MAX_MEMBER: {"type": "integer", "min": 1, "default": MIB},
    MAX_TEXT: {"type": "integer", "min": 1, "default": 32 * MIB},
}


def _note(result: Result, skipped: str) -> Result:
    if skipped:
        result.message = f"{result.message.rstrip('.')}; {skipped}."
        result.details["files_not_read"] = skipped
    return result


def _versions(versions: list[str]) -> str:
    if versions == ["$LATEST"]:
        return ""
    return "versions " + ", ".join(versions) if len(versions) > 1 else f"version {versions[0]}"


@check(
    id="lambda_code_no_secrets",
    title="Lambda function code packages hold no credentials",
    problem="Lambda function code packages hold credentials",
    resources=["lambda.functions", "lambda.code_packages", "lambda.code_packages.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Rotate the credential, remove it from the source, and have the function read it at run time from "
    "Secrets Manager with its execution role; publish a new version and delete the published versions whose "
    "package still holds it.",
    params=dict(PACKAGE_CAPS),
    scope="region",
)
def lambda_code_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a function when a text file of the package of $LATEST or of any published version holds a credential;
    functions deployed as container images are not applicable (Lambda keeps no package of them)."""
    owners = key_owners_of(view, "lambda.code_packages")
    leaked = leaks_of(view)
    packages = {p.sha256: (p, scan) for p, scan in view.judged("lambda.code_packages")}
    for fn in view.get("lambda.functions"):
        zips: dict[str, list[str]] = {}
        for version, ref in fn.packages.items():
            if ref.package_type == "Zip" and ref.sha256:
                zips.setdefault(ref.sha256, []).append(version)
        what = f"the code of function {fn.name} ({fn.region})"
        if not zips:
            yield Result.of(Status.NOT_APPLICABLE, fn, f"Function {fn.name} ({fn.region}) is deployed as a container "
                            "image: Lambda keeps no code package of it to read.")
            continue
        found = [(packages.get(sha), versions) for sha, versions in zips.items()]
        if any(p is None for p, _ in found):
            yield Result.of(Status.ERROR, fn, f"The code packages of function {fn.name} ({fn.region}) were not read.")
            continue
        unread = [f"{_versions(v) or '$LATEST'}: {p[0].not_read}" for p, v in found if p and p[0].not_read]
        if unread:
            yield Result.of(Status.ERROR, fn, f"Could not judge {what}: {'; '.join(unread)}.")
            continue
        detections, error, skipped = [], None, []
        for (package, scan), versions in found:  # type: ignore[misc]
            error = error or (scan.error if scan else "the package was not analysed for secrets")
            where = _versions(versions)
            detections += [d.model_copy(update={"location": where}) for d in (scan.detections if scan else ())]
            note = package.text.describe_skipped(params[MAX_MEMBER], params[MAX_TEXT])
            if note:
                skipped.append(f"{where}: {note}" if where and len(found) > 1 else note)
        merged = SecretScan(detections=tuple(detections), error=error)
        evidence = sorted({e for (p, _), _ in found for e in p.evidence})  # type: ignore[misc]
        result = judge(fn, merged, what, owners, leaked=leaked)
        result.evidence = sorted({*result.evidence, *evidence})
        yield _note(result, "; ".join(skipped))


@check(
    id="lambda_layer_no_secrets",
    title="The account's own Lambda layers hold no credentials",
    problem="The account's own Lambda layers hold credentials",
    resources=["lambda.layer_versions", "lambda.layer_versions.key_owners"],
    enriched_by=ENRICHMENT,
    severity="high",
    remediation="Rotate the credential, publish a layer version without it and move functions to it, then delete "
    "the layer versions that hold it (functions keep a deleted version until they are updated).",
    params=dict(PACKAGE_CAPS),
    scope="region",
)
def lambda_layer_no_secrets(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Fails a layer version of the account when a text file of its content holds a credential; each distinct
    content (CodeSha256) is read once."""
    owners = key_owners_of(view, "lambda.layer_versions")
    leaked = leaks_of(view)
    for layer, scan in view.judged("lambda.layer_versions"):
        what = f"layer version {layer.name} ({layer.region})"
        if layer.not_read:
            yield Result.of(Status.ERROR, layer, f"Could not judge {what}: {layer.not_read}.")
            continue
        skipped = layer.text.describe_skipped(params[MAX_MEMBER], params[MAX_TEXT])
        yield _note(judge(layer, scan, what, owners, leaked=leaked), skipped)
