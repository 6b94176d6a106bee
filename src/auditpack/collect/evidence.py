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
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditpack.collect.redaction import REDACTED
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


def _encode(document: dict[str, Any]) -> bytes:
    # Compact: json only uses its C encoder without indent, several times faster on the large list
    # responses of big accounts (docs/performance.md); any JSON viewer re-indents a file for reading.
    return mask_key_ids(json.dumps(document, sort_keys=True, default=_json_default).encode("utf-8"))


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
        data = _encode(document)
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


    def scrub(self, secrets: Iterable[str]) -> list[str]:
        """Remove every one of ``secrets`` from every evidence file written so far; returns the files changed.

        The second line of redaction, after the fields collectors declare (``collect.redaction``): a value the
        detector judged a secret can also sit in a response no collector declared, such as an instance's tags
        in ``DescribeInstances`` or a source URL in ``BatchGetProjects``. One pass of an Aho-Corasick automaton
        over each file finds any of them in the form the file spells it (JSON-escaped, or base64 of the value
        alone); a file that holds one is parsed and every string in it, keys included, has the value replaced,
        so the file stays valid JSON. Call it once collection is over, before the pack is sealed.
        """
        values = sorted({s for s in secrets if s}, key=len, reverse=True)  # longest first: a value inside another
        if not values:
            return []
        import ahocorasick

        finder = ahocorasick.Automaton()
        for value in values:
            for form in _written_forms(value):
                finder.add_word(form, value)
        finder.make_automaton()
        changed = []
        with self._lock:
            for rel, known in list(self.files.items()):
                path = self.pack_dir / rel
                text = path.read_text(encoding="utf-8")
                found = {value for _end, value in finder.iter(text)}
                if not found:
                    continue
                document = _replace_in_strings(json.loads(text), [v for v in values if v in found])
                data = _encode(document)
                path.write_bytes(data)
                self.files[rel] = EvidenceFile(rel, hashlib.sha256(data).hexdigest(), len(data), known.collected_at,
                                               known.purpose)
                changed.append(rel)
        return changed


def _written_forms(value: str) -> set[str]:
    """How an evidence file can spell ``value``: JSON-escaped as the recorder writes it, and base64 of it alone."""
    import base64

    return {json.dumps(value)[1:-1], base64.b64encode(value.encode("utf-8")).decode("ascii")}


def _replace_in_strings(node: Any, values: list[str]) -> Any:
    def clean(text: str) -> str:
        for value in values:
            for form in (value, *_written_forms(value)):
                text = text.replace(form, REDACTED)
        return text

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return clean(item)
        if isinstance(item, dict):
            return {clean(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(node)


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
