"""Sealing and verifying an evidence pack: ``manifest.json`` and ``SHA256SUMS``.

Two records of the same facts, for two readers. ``SHA256SUMS`` is in the format GNU coreutils writes and
reads, so an auditor can check a pack with ``sha256sum -c SHA256SUMS`` on any machine, without auditpack;
it covers every other file in the pack, the manifest included. ``manifest.json`` says more about each file
(size, media type, what produced it) for programs and for ``auditpack verify``, which checks both and names
each file that is missing, added or altered.

Hashes prove the pack is unchanged since it was sealed; they do not prove who sealed it (that needs a
signature over ``SHA256SUMS``, which any standard tool such as gpg or cosign can add on top).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditpack.models import Assessment

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
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


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def pack_files(pack: Path) -> list[str]:
    """Every file in the pack as a POSIX path relative to it, sorted; ``SHA256SUMS`` itself excluded.

    Symbolic links are listed (and so reported when unexpected) but never followed into directories: a pack
    is plain files, and a link could make a check read something outside it.
    """
    found: list[str] = []
    for root, dirs, files in os.walk(pack, followlinks=False):
        base = Path(root)
        names = list(files) + [d for d in dirs if (base / d).is_symlink()]
        for name in names:
            rel = (base / name).relative_to(pack).as_posix()
            if rel != SUMS:
                found.append(rel)
    return sorted(found)


# -- SHA256SUMS in coreutils format ------------------------------------------------------------------------


def _escape(name: str) -> tuple[str, str]:
    """coreutils escapes backslashes and newlines in names and then starts the line with a backslash."""
    if "\\" in name or "\n" in name or "\r" in name:
        return "\\", name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return "", name


def _unescape(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        if name[i] == "\\" and i + 1 < len(name):
            out.append({"\\": "\\", "n": "\n", "r": "\r"}.get(name[i + 1], name[i + 1]))
            i += 2
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def format_sums(hashes: Mapping[str, str]) -> str:
    lines = []
    for name in sorted(hashes):
        prefix, escaped = _escape(name)
        lines.append(f"{prefix}{hashes[name]}  {escaped}\n")
    return "".join(lines)


def parse_sums(text: str) -> tuple[dict[str, str], list[str]]:
    """Entries of a SHA256SUMS file and the lines that are not valid entries (reported, never ignored)."""
    entries: dict[str, str] = {}
    bad: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        escaped = raw.startswith("\\")
        line = raw[1:] if escaped else raw
        digest, sep, name = line[:64], line[64:66], line[66:]
        if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest) or sep not in ("  ", " *") \
                or not name:
            bad.append(f"line {number}")
            continue
        entries[_unescape(name) if escaped else name] = digest.lower()
    return entries, bad


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


def seal(pack: Path, producers: Mapping[str, str] | None = None, *, run_id: str = "", tool_version: str = "",
         sealed_by: str = "auditpack scan") -> dict[str, Any]:
    """Write ``manifest.json`` then ``SHA256SUMS`` over everything in ``pack``; returns the manifest.

    ``producers`` names what wrote each file; files it does not name keep what the previous manifest said
    (a re-render replaces the report but not the evidence), and evidence files are the collector's.
    """
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
        digest = sha256_file(path)
        hashes[rel] = digest
        files.append({
            "path": rel,
            "size": path.stat().st_size,
            "sha256": digest,
            "media_type": media_type(rel),
            "produced_by": _producer(rel, producers or {}, previous),
        })
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "auditpack", "version": tool_version},
        "run_id": run_id,
        "sealed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sealed_by": sealed_by,
        "algorithm": "sha256",
        "files": files,
    }
    manifest_path = pack / MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    hashes[MANIFEST] = sha256_file(manifest_path)
    (pack / SUMS).write_text(format_sums(hashes), encoding="utf-8", newline="\n")
    return manifest


def seal_outputs(pack: Path, written: Mapping[str, Iterable[Path]], assessment: Assessment,
                 sealed_by: str = "auditpack scan") -> dict[str, Any]:
    """Seal a pack after ``write_outputs``: its result says which format produced which file."""
    return seal(pack, producers_from(written, pack), run_id=assessment.run.id,
                tool_version=assessment.tool.version, sealed_by=sealed_by)


# -- verifying ---------------------------------------------------------------------------------------------


@dataclass
class Verification:
    """What ``verify`` found; ``intact`` only when every list is empty."""

    pack: Path
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.missing or self.added or self.altered or self.problems)

    def lines(self) -> list[str]:
        out = [f"missing: {p}" for p in self.missing]
        out += [f"added: {p}" for p in self.added]
        out += [f"altered: {p}" for p in self.altered]
        out += [f"problem: {p}" for p in self.problems]
        return out


class NotAPack(Exception):
    """The folder is not an auditpack pack at all (as opposed to a pack that fails verification)."""


def is_pack(pack: Path) -> bool:
    return pack.is_dir() and any((pack / name).is_file() for name in (SUMS, MANIFEST, "assessment.json"))


def verify(pack: Path) -> Verification:
    """Check ``SHA256SUMS`` and ``manifest.json`` against the files on disk.

    A file is *missing* when a record lists it and it is gone, *added* when it is on disk and in neither
    record, *altered* when its bytes (or the manifest's size) differ from a record. Both records are checked,
    so editing a file and fixing up one of them is still caught by the other.
    """
    if not is_pack(pack):
        raise NotAPack(f"{pack} is not an auditpack pack (no {SUMS}, {MANIFEST} or assessment.json)")
    result = Verification(pack=pack)
    on_disk = set(pack_files(pack))
    links = sorted(p for p in on_disk if (pack / p).is_symlink())
    result.problems += [f"{p} is a symbolic link; a pack holds only regular files" for p in links]

    sums: dict[str, str] = {}
    if (pack / SUMS).is_file():
        sums, bad = parse_sums((pack / SUMS).read_text(encoding="utf-8", errors="replace"))
        result.problems += [f"{SUMS} {where} is not a checksum line" for where in bad]
    else:
        result.missing.append(SUMS)

    manifest = read_manifest(pack)
    listed: dict[str, dict[str, Any]] = {}
    if manifest is not None:
        for entry in manifest["files"]:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                listed[entry["path"]] = entry
            else:
                result.problems.append(f"{MANIFEST} has an entry without a path")
    elif (pack / MANIFEST).is_file():
        result.problems.append(f"{MANIFEST} is not a valid manifest")
    elif MANIFEST not in result.missing:
        result.missing.append(MANIFEST)

    recorded = set(sums) | set(listed) | ({MANIFEST} if sums or listed else set())
    result.missing += sorted(p for p in recorded - on_disk if p not in result.missing)
    result.added += sorted(p for p in on_disk - recorded if p not in links)

    altered: set[str] = set()
    for rel in sorted(on_disk & recorded):
        path = pack / rel
        if path.is_symlink():
            continue
        digest = sha256_file(path)
        result.checked += 1
        if rel in sums and sums[rel] != digest:
            altered.add(rel)
        entry = listed.get(rel)
        if entry is not None and (entry.get("sha256") != digest or entry.get("size") != path.stat().st_size):
            altered.add(rel)
        if sums and rel not in sums:
            result.problems.append(f"{rel} is in {MANIFEST} but not in {SUMS}")
        if listed and rel not in listed and rel != MANIFEST:
            result.problems.append(f"{rel} is in {SUMS} but not in {MANIFEST}")
    result.altered = sorted(altered)
    return result


