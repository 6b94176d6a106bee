"""Keeping secret values out of evidence: the fields collectors declare secret are redacted before writing.

The vocabulary is derived: every field any collector declares (``collector(secrets=..., redact=...)``)
plus the credential fields AWS itself returns (STS credentials, secret values). A collector that declares
fields has all of them redacted in its evidence, because one service's secret field can appear in another
response of the same collector; the others have credentials redacted. Requests are redacted the same way,
since a request can name a secret too (a looked-up access key id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from auditpack.resources.base import secret_fields

REDACTED = "[redacted]"
# Fields of AWS's own responses that are credentials whatever the service, though no collector reads them.
CREDENTIAL_FIELDS = frozenset({"SecretString", "SecretBinary", "Password", "SecretAccessKey", "SessionToken"})


def sensitive_fields() -> frozenset[str]:
    """Every field whose value evidence must never show."""
    return CREDENTIAL_FIELDS | secret_fields()


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return REDACTED


def redact_tree(data: Any, keys: Iterable[str]) -> Any:
    """A copy of ``data`` with the values under any of ``keys`` replaced, keeping structure and names.

    ECS and CodeBuild keep variables as ``[{"name": ..., "value": ...}]``: those lists are redacted whole
    under their parent key, so the names stay but every value goes.
    """
    keyset = frozenset(keys)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (_redact_value(v) if k in keyset else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(data)


def _keep_names(node: Any) -> Any:
    """Redact values but keep ``name``/``Name``/``type`` fields readable in name/value lists."""
    if isinstance(node, dict):
        return {
            k: (v if k in {"name", "Name", "type", "Type", "valueFrom", "ValueFrom"} else _keep_names(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_keep_names(v) for v in node]
    if node is None or isinstance(node, bool | int | float):
        return node
    return REDACTED


def redactor(keys: Iterable[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A redactor for responses whose values under ``keys`` (and under the credential fields) are secret."""
    keyset = frozenset(keys) | CREDENTIAL_FIELDS

    def apply(data: dict[str, Any]) -> dict[str, Any]:
        def walk(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: (_keep_names(v) if k in keyset else walk(v)) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v) for v in node]
            return node

        return walk(data)

    return apply


def redact_request(params: dict[str, Any], keys: Iterable[str]) -> Any:
    """A request as evidence records it: ``keys`` as for the response, then every sensitive field."""
    return redact_tree(redactor(keys)(params), sensitive_fields())
