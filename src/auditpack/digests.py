"""SHA-256 digests and the coreutils ``SHA256SUMS`` format, shared by the pack's seal and the PDF's digest list.

One declaration of the format: ``sha256sum -c`` must read every list auditpack writes, the pack's own
``SHA256SUMS`` and the list the PDF carries inside it alike, so both are written by ``format_sums``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

# The pack's records, written over every other file after all the outputs (the seal, then the signature).
# Named here, below the writers, so that what a writer lists of the pack (the PDF's digest list) leaves them out.
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
SIGNATURE = "pack.sig.json"
RECORDS = (MANIFEST, SUMS, SIGNATURE)


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


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
