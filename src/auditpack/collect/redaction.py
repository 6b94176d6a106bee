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
    """``data`` with the values under any of ``keys`` replaced, keeping structure and names.

    ECS and CodeBuild keep variables as ``[{"name": ..., "value": ...}]``: those lists are redacted whole
    under their parent key, so the names stay but every value goes.
    """
    return _replacing(data, frozenset(keys), _redact_value)


def _replacing(data: Any, keys: frozenset[str], replace: Callable[[Any], Any]) -> Any:
    """``data`` with ``replace(value)`` for the value under each of ``keys``, at any depth. Only the
    containers on the way to a replaced value are copied; the rest is ``data``'s own, unchanged. Evidence of a
    large response is written while many others are in flight: a whole copy of each, for the few fields that
    are secret, was a large part of collection's peak (docs/performance.md)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            copied = None
            for key, value in node.items():
                new = replace(value) if key in keys else walk(value)
                if new is not value:
                    copied = copied if copied is not None else dict(node)
                    copied[key] = new
            return node if copied is None else copied
        if isinstance(node, list):
            changed = None
            for i, value in enumerate(node):
                new = walk(value)
                if new is not value:
                    changed = changed if changed is not None else list(node)
                    changed[i] = new
            return node if changed is None else changed
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
    return lambda data: _replacing(data, keyset, _keep_names)


def redact_request(params: dict[str, Any], keys: Iterable[str]) -> Any:
    """A request as evidence records it: ``keys`` as for the response, then every sensitive field."""
    return redact_tree(redactor(keys)(params), sensitive_fields())
