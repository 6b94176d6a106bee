"""Writes each response that findings rest on into the pack's ``evidence/`` folder.

A file per call keeps provenance exact (operation, region, account, time, request) and lets a finding cite the
very response it was judged on. The gate hands over requests and responses already redacted
(``auditpack.collect.redaction``); the recorder only writes.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


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
        stem = f"evidence/{_SAFE.sub('_', account)}/{_SAFE.sub('_', region)}/{service}/{operation}"
        document = {
            "account": account,
            "region": region,
            "service": service,
            "operation": operation,
            "collected_at": datetime.now(UTC).isoformat(),
            "request": request,
            "response": response,
        }
        if purpose:
            document["purpose"] = purpose
        # Compact: json only uses its C encoder without indent, ~5x faster on the large list responses of big
        # accounts; any JSON viewer re-indents a file for reading.
        text = json.dumps(document, sort_keys=True, default=_json_default)
        with self._lock:  # held while writing, so that close() is a clean cut
            if self.closed:
                raise RecorderClosed(f"evidence for {service}:{operation} arrived after the scan was abandoned")
            n = self._counts.get(stem, 0) + 1
            self._counts[stem] = n
            rel = f"{stem}-{n:04d}.json"
            path = self.pack_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return rel
