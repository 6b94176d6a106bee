"""Writes each response that findings rest on into the pack's ``evidence/`` folder.

A file per call keeps provenance exact (operation, region, account, time, request) and lets a finding cite the
very response it was judged on. The gate hands over requests and responses already redacted
(``auditpack.collect.redaction``); the recorder writes them and keeps each file's SHA-256, computed from
the bytes it wrote, for the seal and the reports. Whatever the call, an access key id is never written whole:
CloudTrail events name the key behind every call (and the keys a leaked key created), so every id in any
evidence file is masked as findings mask it.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditpack.models import EvidenceFile
from auditpack.resources.secret_source import ACCESS_KEY_ID, mask

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
EVIDENCE = "evidence/"
_KEY_PREFIXES = (b"AKIA", b"ASIA", b"ABIA", b"ACCA")
_KEY_ID_BYTES = re.compile(ACCESS_KEY_ID.pattern.encode())


def mask_key_ids(data: bytes) -> bytes:
    """``data`` with every access key id masked (``AKIA…WXYZ``); most documents hold none, and are not searched."""
    if not any(prefix in data for prefix in _KEY_PREFIXES):
        return data
    return _KEY_ID_BYTES.sub(lambda m: mask(m.group(1).decode()).encode(), data)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)


class RecorderClosed(RuntimeError):
    """Evidence arrived after the scan was abandoned; writing it would recreate a deleted staging folder."""


class EvidenceRecorder:
    """Thread-safe writer of evidence files under ``<pack>/evidence``; returns pack-relative paths."""

    def __init__(self, pack_dir: Path) -> None:
        self.pack_dir = pack_dir
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self.files: dict[str, EvidenceFile] = {}  # what was written, with its digest
        self.closed = False

    def close(self) -> None:
        """Refuse every later write; once this returns, no write is in progress either."""
        with self._lock:
            self.closed = True

    def record(
        self,
        account: str,
        region: str,
        service: str,
        operation: str,
        request: Any,
        response: dict[str, Any],
        *,
        purpose: str | None = None,
    ) -> str:
        """Write one call's evidence; ``purpose`` "scope" marks the calls that established the scan's scope
        (who called, which regions and accounts, which roles) rather than a finding's data."""
        collected_at = datetime.now(UTC)
        stem = f"evidence/{_SAFE.sub('_', account)}/{_SAFE.sub('_', region)}/{service}/{operation}"
        document = {
            "account": account,
            "region": region,
            "service": service,
            "operation": operation,
            "collected_at": collected_at.isoformat(),
            "request": request,
            "response": response,
        }
        if purpose:
            document["purpose"] = purpose
        # Compact: json only uses its C encoder without indent, several times faster on the large list
        # responses of big accounts (docs/performance.md); any JSON viewer re-indents a file for reading.
        data = mask_key_ids(json.dumps(document, sort_keys=True, default=_json_default).encode("utf-8"))
        digest = hashlib.sha256(data).hexdigest()  # here, once: sealing and the reports reuse it
        with self._lock:  # held while writing, so that close() is a clean cut
            if self.closed:
                raise RecorderClosed(f"evidence for {service}:{operation} arrived after the scan was abandoned")
            n = self._counts.get(stem, 0) + 1
            self._counts[stem] = n
            rel = f"{stem}-{n:04d}.json"
            path = self.pack_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self.files[rel] = EvidenceFile(rel, digest, len(data), collected_at, purpose)
        return rel


def evidence_in(pack: Path, known: Mapping[str, EvidenceFile] | None = None) -> dict[str, EvidenceFile]:
    """The evidence files in a pack folder, by path; a file ``known`` does not hold is read once: hashed, and its
    collection time and purpose taken from it."""
    known = known or {}
    files: dict[str, EvidenceFile] = {}
    folder = pack / EVIDENCE
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(pack).as_posix()
            if path.is_file() and not path.is_symlink():
                files[rel] = known.get(rel) or read_evidence_file(pack, rel)
    return files


def read_evidence_file(pack: Path, rel: str) -> EvidenceFile:
    data = (pack / rel).read_bytes()
    collected, purpose = None, None
    try:
        document = json.loads(data)
    except ValueError:  # not one of our evidence documents: it has a digest, but no time
        document = None
    if isinstance(document, dict):
        try:
            collected = datetime.fromisoformat(str(document.get("collected_at")))
        except ValueError:
            collected = None
        purpose = document.get("purpose") if isinstance(document.get("purpose"), str) else None
    return EvidenceFile(rel, hashlib.sha256(data).hexdigest(), len(data), collected, purpose)
