"""Keeping secret values in memory only: masks, keyed fingerprints and evidence redaction.

A masked form lets a person recognise a value (``AKIA…MPLE``) and a keyed HMAC lets the same secret be
correlated across resources and runs, without either being enough to recover it. An unkeyed hash would not
do: short passwords are brute-forced from a plain SHA-256 in seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REDACTED = "[redacted]"

# Keys whose values may hold secrets anywhere in an AWS response or request.
SENSITIVE_KEYS = frozenset(
    {
        "Variables",  # Lambda environment
        "UserData",  # EC2 instance attribute and launch template data
        "environment",  # ECS container definitions
        "Value",  # SSM parameter values, CloudFormation parameter values
        "OutputValue",  # CloudFormation outputs
        "ParameterValue",
        "environmentVariables",  # CodeBuild
        "SecretString",
        "SecretBinary",
        "Password",
        "SecretAccessKey",
        "SessionToken",
    }
)


def mask(value: str) -> str:
    """First and last four characters of a long value, nothing of a short one."""
    if len(value) >= 16:
        return f"{value[:4]}…{value[-4:]}"
    return "*" * 8


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return REDACTED


def redact_tree(data: Any, keys: Iterable[str] = SENSITIVE_KEYS) -> Any:
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


def redactor(*keys: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A redactor for responses whose values under ``keys`` (and the usual sensitive keys) are secret."""
    keyset = frozenset(keys) | SENSITIVE_KEYS

    def apply(data: dict[str, Any]) -> dict[str, Any]:
        def walk(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: (_keep_names(v) if k in keyset else walk(v)) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v) for v in node]
            return node

        return walk(data)

    return apply


class Fingerprinter:
    """HMAC-SHA256 of a secret under the organization's key, shortened for reading."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest[:32]}"


def default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "auditpack" / "fingerprint.key"


def load_fingerprint_key(path: Path | None = None) -> bytes:
    """The organization's fingerprint key, created once (mode 0600) where none exists yet."""
    key_path = path or default_key_path()
    if key_path.exists():
        key = key_path.read_bytes().strip()
        if len(key) < 32:
            from auditpack.errors import UserError

            raise UserError(f"{key_path}: fingerprint key is shorter than 32 bytes")
        return key
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key
