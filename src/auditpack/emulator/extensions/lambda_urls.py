"""Lambda function URLs: moto 5.2.5 creates and reads a function's URL but has no ``ListFunctionUrlConfigs``
(the route answers 404), the one call that lists every URL of a function and its aliases."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from auditpack.emulator.extensions import extension


def list_function_url_configs(self: Any) -> str:
    name = unquote(self.path.rstrip("/").split("/")[-2])
    function = self.backend.get_function(name)
    config = getattr(function, "url_config", None)
    return json.dumps({"FunctionUrlConfigs": [config.to_dict()] if config else []})


@extension("lambda-function-urls", service="lambda", operations=("ListFunctionUrlConfigs",),
           reason="moto 5.2.5 has function URLs but no ListFunctionUrlConfigs (404)")
def install() -> None:
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    LambdaResponse.list_function_url_configs = list_function_url_configs  # type: ignore[attr-defined]
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/urls/?$"] = \
        LambdaResponse.dispatch
