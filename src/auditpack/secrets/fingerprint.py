"""Keyed fingerprints of secrets: what correlates one secret across resources and runs without revealing it.

A masked form lets a person recognise a value (``AKIA…MPLE``) and a keyed HMAC lets the same secret be
correlated across resources and runs, without either being enough to recover it. An unkeyed hash would not
do: short passwords are brute-forced from a plain SHA-256 in seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from auditpack.errors import UserError


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
            raise UserError(f"{key_path}: fingerprint key is shorter than 32 bytes")
        return key
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key
