"""Sealing an evidence pack: ``manifest.json`` and ``SHA256SUMS`` (``verify`` checks them).

Two records of the same facts, for two readers. ``SHA256SUMS`` is in the format GNU coreutils writes and
reads, so an auditor can check a pack with ``sha256sum -c SHA256SUMS`` on any machine, without auditpack;
it covers every other file in the pack, the manifest included. ``manifest.json`` says more about each file
(size, media type, what produced it, when evidence was collected) for programs and for ``auditpack
verify``, which checks both and names each file that is missing, added or altered.

Hashes prove the pack is unchanged since it was sealed; they do not prove who sealed it: that is what
``pack.sig.json`` adds (``auditpack.pack.signing``), written after the seal and so outside both records.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditpack.digests import MANIFEST, SIGNATURE, SUMS, format_sums, sha256_file
from auditpack.digests import parse_sums as parse_sums  # the format lives in auditpack.digests; read from here too
from auditpack.models import EvidenceFile

MANIFEST_VERSION = "1.0.0"

# Media types by suffix: registered types where they exist, so a GRC system can route files without sniffing.
MEDIA_TYPES = {
    ".json": "application/json",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
}
EVIDENCE_PRODUCER = "collector (read-only AWS API response)"


def media_type(path: str) -> str:
    name = path.lower()
    for suffix, kind in MEDIA_TYPES.items():
        if name.endswith(suffix):
            return kind
    return "application/octet-stream"


def pack_files(pack: Path) -> list[str]:
    """Every file in the pack as a POSIX path relative to it, sorted; ``SHA256SUMS`` and the signature, which
    are written over all the others, excluded.

    Symbolic links are listed (and so reported when unexpected) but never followed into directories: a pack
    is plain files, and a link could make a check read something outside it.
    """
    found: list[str] = []
    for root, dirs, files in os.walk(pack, followlinks=False):
        base = Path(root)
        names = list(files) + [d for d in dirs if (base / d).is_symlink()]
        for name in names:
            rel = (base / name).relative_to(pack).as_posix()
            if rel not in (SUMS, SIGNATURE):
                found.append(rel)
    return sorted(found)


# -- sealing -----------------------------------------------------------------------------------------------


def producers_from(written: Mapping[str, Iterable[Path]], pack: Path) -> dict[str, str]:
    """File -> producer from ``write_outputs``' result (format name -> paths it wrote)."""
    result: dict[str, str] = {}
    for fmt, paths in written.items():
        for path in paths:
            result[Path(path).resolve().relative_to(pack.resolve()).as_posix()] = f"output:{fmt}"
    return result


def _producer(rel: str, producers: Mapping[str, str], previous: Mapping[str, str]) -> str:
    if rel in producers:
        return producers[rel]
    if rel.startswith("evidence/"):
        return EVIDENCE_PRODUCER
    return previous.get(rel, "unknown")


def read_manifest(pack: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((pack / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def seal(pack: Path, producers: Mapping[str, str] | None = None, *, known: Mapping[str, EvidenceFile] | None = None,
         run_id: str = "", tool_version: str = "", sealed_by: str = "auditpack scan",
         follows: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Write ``manifest.json`` then ``SHA256SUMS`` over everything in ``pack``; returns the manifest.

    ``known`` holds the digests of files whose bytes were hashed when they were written (evidence): those are
    not read again; every other file is hashed here, once. ``producers`` names what wrote each file; files it
    does not name keep what the previous manifest said, and evidence files are the collector's. ``follows``
    is the link to the pack this one follows (``auditpack.pack.chain``).
    """
    known = known or {}
    previous = {
        str(f.get("path")): str(f.get("produced_by"))
        for f in ((read_manifest(pack) or {}).get("files") or [])
        if isinstance(f, dict)
    }
    files = []
    hashes: dict[str, str] = {}
    for rel in pack_files(pack):
        if rel == MANIFEST:
            continue
        path = pack / rel
        record = known.get(rel)
        digest, size = (record.sha256, record.size) if record else (sha256_file(path), path.stat().st_size)
        hashes[rel] = digest
        entry: dict[str, Any] = {
            "path": rel,
            "size": size,
            "sha256": digest,
            "media_type": media_type(rel),
            "produced_by": _producer(rel, producers or {}, previous),
        }
        if record and record.collected_at:
            entry["collected_at"] = record.collected_at.isoformat()
        if record and record.purpose:
            entry["purpose"] = record.purpose
        files.append(entry)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "auditpack", "version": tool_version},
        "run_id": run_id,
        "sealed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sealed_by": sealed_by,
        **({"previous": dict(follows)} if follows else {}),
        "algorithm": "sha256",
        "files": files,
    }
    manifest_path = pack / MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    hashes[MANIFEST] = sha256_file(manifest_path)
    (pack / SUMS).write_text(format_sums(hashes), encoding="utf-8", newline="\n")
    return manifest


def evidence_from_manifest(pack: Path) -> dict[str, EvidenceFile]:
    """The evidence files a pack's manifest records, with their digests (verify them before trusting them).

    Packs sealed before the manifest kept collection times lack them: those are read from the files."""
    out: dict[str, EvidenceFile] = {}
    for entry in (read_manifest(pack) or {}).get("files") or []:
        if not isinstance(entry, dict) or not str(entry.get("path", "")).startswith("evidence/"):
            continue
        rel = str(entry["path"])
        collected = entry.get("collected_at")
        purpose = entry.get("purpose")
        if collected is None:
            collected, purpose = _collected_from_file(pack / rel)
        out[rel] = EvidenceFile(rel, str(entry.get("sha256")), int(entry.get("size") or 0),
                                datetime.fromisoformat(collected) if collected else None, purpose)
    return out


def _collected_from_file(path: Path) -> tuple[str | None, str | None]:
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None, None
    if not isinstance(document, dict):
        return None, None
    return document.get("collected_at"), document.get("purpose")
