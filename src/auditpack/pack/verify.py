"""Verifying an evidence pack: every file against ``SHA256SUMS`` and ``manifest.json``, each change named; given
a public key, ``pack.sig.json`` too (``auditpack.pack.signing``).

Both records are checked, so editing a file and fixing up one of them is still caught by the other; someone
able to rewrite both is caught by the signature, which binds every file's digest to a key. The
digests computed on the way are kept (``Verification.digests``): a command that builds on a verified pack
(``report``, ``merge``) reuses them instead of reading every file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditpack.pack.seal import MANIFEST, SIGNATURE, SUMS, pack_files, parse_sums, read_manifest, sha256_file
from auditpack.pack.signing import check_signature


@dataclass
class Verification:
    """What ``verify`` found; ``intact`` only when every list is empty."""

    pack: Path
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # path -> SHA-256 of every file read
    signature: str = "absent"  # absent, unchecked (no key given), valid, invalid
    signed_by: str = ""  # the key id, when the signature is valid
    signature_problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.missing or self.added or self.altered or self.problems or self.signature_problems)

    def lines(self) -> list[str]:
        out = [f"missing: {p}" for p in self.missing]
        out += [f"added: {p}" for p in self.added]
        out += [f"altered: {p}" for p in self.altered]
        out += [f"problem: {p}" for p in self.problems]
        out += list(self.signature_problems)
        return out


class NotAPack(Exception):
    """The folder is not an auditpack pack at all (as opposed to a pack that fails verification)."""


def is_pack(pack: Path) -> bool:
    return pack.is_dir() and any((pack / name).is_file() for name in (SUMS, MANIFEST, "assessment.json"))


def verify(pack: Path, public_key: Any = None) -> Verification:
    """Check ``SHA256SUMS`` and ``manifest.json`` against the files on disk, and with ``public_key`` (an
    Ed25519 public key) the signature: valid for that key, and naming exactly the files on disk.

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
    against_sums: set[str] = set()  # files whose bytes differ from SHA256SUMS
    against_manifest: set[str] = set()  # files whose bytes (or size) differ from manifest.json
    for rel in sorted(on_disk & recorded):
        path = pack / rel
        if path.is_symlink():
            continue
        digest = sha256_file(path)
        result.digests[rel] = digest
        result.checked += 1
        if rel in sums and sums[rel] != digest:
            against_sums.add(rel)
        entry = listed.get(rel)
        if entry is not None and (entry.get("sha256") != digest or entry.get("size") != path.stat().st_size):
            against_manifest.add(rel)
        if sums and rel not in sums:
            result.problems.append(f"{rel} is in {MANIFEST} but not in {SUMS}")
        if listed and rel not in listed and rel != MANIFEST:
            result.problems.append(f"{rel} is in {SUMS} but not in {MANIFEST}")
    altered |= _blame(against_sums, against_manifest, sums, listed, result.problems)
    result.altered = sorted(altered)
    if public_key is not None:
        _check_signature(result, on_disk - set(links), public_key)
    elif (pack / SIGNATURE).is_file():
        result.signature = "unchecked"
    return result


def _blame(against_sums: set[str], against_manifest: set[str], sums: dict[str, str],
           listed: dict[str, dict[str, Any]], problems: list[str]) -> set[str]:
    """The files that were changed, from where the two records disagree with the bytes.

    A file that one record matches and the other does not was untouched when the record it disagrees with is
    the one that changed: an edited ``manifest.json`` no longer matches its own line in ``SHA256SUMS``, and an
    edited ``SHA256SUMS`` (which no record covers) is the one left when ``manifest.json`` is intact. Blaming
    the file would send an auditor after evidence nobody touched."""
    manifest_edited = MANIFEST in against_sums
    altered = set()
    for rel in against_sums | against_manifest:
        if rel in against_sums and rel in against_manifest:
            altered.add(rel)  # both records disagree with the bytes: the file changed
        elif rel in against_manifest and rel in sums and manifest_edited:
            altered.add(MANIFEST)
            problems.append(f"{MANIFEST} was edited: its record of {rel} disagrees with {SUMS} and with the file, "
                            f"which matches {SUMS}")
        elif rel in against_sums and rel in listed and rel != MANIFEST and not manifest_edited:
            altered.add(SUMS)
            problems.append(f"{SUMS} was edited: its line for {rel} disagrees with {MANIFEST} and with the file, "
                            f"which matches {MANIFEST}")
        else:
            altered.add(rel)  # recorded in only one of them, which disagrees
    return altered


def _check_signature(result: Verification, files: set[str], public_key: Any) -> None:
    pack = result.pack
    current = {rel: result.digests.get(rel) or sha256_file(pack / rel) for rel in files}
    if (pack / SUMS).is_file():
        current[SUMS] = sha256_file(pack / SUMS)
    check = check_signature(pack / SIGNATURE, public_key, current)
    result.signature_problems = check.problems
    result.signature = "invalid" if check.problems else "valid"
    result.signed_by = "" if check.problems else check.key_id


