"""Lambda code and layer downloads: moto 5.2.5 answers GetFunction with a ``Code.Location`` on a host nothing
serves (``awslambda-<region>-tasks.s3...``) and layer versions with ``Content.Location: s3://``.

The extension rewrites both to a presigned-style URL on the emulator itself (the host the request came to, so a
scan through a proxy downloads through it too), and serves the package moto stored there. Like AWS's, the URL
carries its authorization in the query (``X-Amz-Credential`` with an S3 scope, a signature), so nothing but
loopback is ever reached and a scanner treats it as it treats the real one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from auditpack.emulator.extensions import extension

PREFIX = "auditpack-code"


def presigned(host: str, region: str, account: str, kind: str, name: str, qualifier: str) -> str:
    path = f"/lambda_{region}/{PREFIX}/{account}/{kind}/{quote(name, safe='')}/{quote(qualifier, safe='')}"
    day = datetime.now(UTC).strftime("%Y%m%d")
    signature = hashlib.sha256(path.encode()).hexdigest()
    return (f"http://{host}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=EMULATOR%2F{day}%2F{region}"
            f"%2Fs3%2Faws4_request&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}")


def serve(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
    """The bytes of the function version or layer version the URL names, from the backend moto's own Lambda
    responses use: with Docker turned off (``use_docker: False``, as the demo sets it for Secrets Manager rotation)
    that is moto's simple Lambda backend, not ``lambda_backends``."""
    from moto.awslambda.utils import get_backend

    path = full_url.split("?", 1)[0].split(f"/{PREFIX}/", 1)[1]
    region = full_url.split("/lambda_", 1)[1].split("/", 1)[0]
    account, kind, name, qualifier = (unquote(part) for part in path.split("/"))
    backend = get_backend(account, region)
    try:
        found = (backend.get_function(name, qualifier) if kind == "function"
                 else backend.get_layer_version(name, qualifier))
    except Exception:  # moto's not-found errors differ by kind; S3 answers NoSuchKey either way
        found = None
    if found is None or not getattr(found, "code_bytes", b""):
        return 404, {"Content-Type": "application/xml"}, b"<Error><Code>NoSuchKey</Code></Error>"
    return 200, {"Content-Type": "application/zip"}, found.code_bytes


@extension("lambda-code-locations", service="lambda",
           operations=("GetFunction", "GetLayerVersion", "ListLayerVersions", "PublishLayerVersion"),
           reason="moto 5.2.5 hands out code Locations nothing serves (a fake S3 host for functions, s3:// for "
           "layers)")
def install() -> None:
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    get_function, get_layer_version = LambdaResponse.get_function, LambdaResponse.get_layer_version
    list_layer_versions, publish_layer_version = (LambdaResponse.list_layer_versions,
                                                  LambdaResponse.publish_layer_version)

    def host(self: Any) -> str:
        return str(self.headers.get("Host") or "localhost")

    def with_function_location(self: Any) -> str:
        body = json.loads(get_function(self))
        code, config = body.get("Code") or {}, body.get("Configuration") or {}
        if code.get("RepositoryType") == "S3":
            code["Location"] = presigned(host(self), self.region, self.current_account, "function",
                                         config["FunctionName"], str(config.get("Version", "$LATEST")))
        return json.dumps(body)

    def layer_location(self: Any, layer: dict[str, Any]) -> dict[str, Any]:
        if "Content" in layer and layer.get("LayerVersionArn"):
            name, number = layer["LayerVersionArn"].split(":layer:", 1)[1].rsplit(":", 1)
            layer["Content"]["Location"] = presigned(host(self), self.region, self.current_account, "layer",
                                                     name, number)
        return layer

    def with_layer_location(self: Any) -> str:
        return json.dumps(layer_location(self, json.loads(get_layer_version(self))))

    def with_layer_locations(self: Any) -> str:
        body = json.loads(list_layer_versions(self))
        body["LayerVersions"] = [layer_location(self, v) for v in body.get("LayerVersions", [])]
        return json.dumps(body)

    def published_with_location(self: Any) -> Any:
        status, headers, body = publish_layer_version(self)
        return status, headers, json.dumps(layer_location(self, json.loads(body)))

    LambdaResponse.get_function = with_function_location  # type: ignore[method-assign]
    LambdaResponse.get_layer_version = with_layer_location  # type: ignore[method-assign]
    LambdaResponse.list_layer_versions = with_layer_locations  # type: ignore[method-assign]
    LambdaResponse.publish_layer_version = published_with_location  # type: ignore[method-assign]
    urls.url_paths[rf"{{0}}/lambda_(?P<region>[^/]+)/{PREFIX}/(?P<path>.+)$"] = serve
