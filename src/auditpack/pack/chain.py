"""Chained quarters: each pack's manifest names the pack it follows, by run id and the SHA-256 of its SHA256SUMS.

``SHA256SUMS`` covers every other file of a pack, so its digest stands for the whole previous pack: an
auditor holding this quarter's (signed) pack can show that last quarter's was not replaced or edited
afterwards, and so on back through the chain. Only an intact pack can be followed; a scan refuses to chain to
one that fails verification, because the link would vouch for a change nobody explained.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditpack.errors import PreviousPackAltered
from auditpack.pack.seal import SUMS, read_manifest, sha256_file
from auditpack.pack.verify import NotAPack, is_pack, verify

MANIFEST_KEY = "previous"


@dataclass(frozen=True)
class ChainLink:
    """What a manifest records of the pack it follows."""

    run_id: str
    sums_sha256: str

    def record(self) -> dict[str, str]:
        return {"run_id": self.run_id, "sums_sha256": self.sums_sha256}

    @classmethod
    def recorded_in(cls, pack: Path) -> ChainLink | None:
        """The link a sealed pack's manifest holds, or None for a pack that follows none."""
        entry = (read_manifest(pack) or {}).get(MANIFEST_KEY)
        if not isinstance(entry, dict):
            return None
        run_id, digest = entry.get("run_id"), entry.get("sums_sha256")
        if not isinstance(run_id, str) or not isinstance(digest, str):
            return None
        return cls(run_id, digest)


def link_to(previous: Path) -> ChainLink | None:
    """The link to ``previous``, verified first; None when it is not a sealed pack (a bare assessment.json,
    or a pack from before sealing), which can be compared with but not chained to."""
    if not previous.is_dir() or not (previous / SUMS).is_file():
        return None
    checked = verify(previous)
    if not checked.intact:
        raise PreviousPackAltered(previous, checked.lines())
    return ChainLink(_run_id(previous), checked.digests.get(SUMS) or sha256_file(previous / SUMS))


def _run_id(pack: Path) -> str:
    manifest = read_manifest(pack) or {}
    run_id = manifest.get("run_id")
    if isinstance(run_id, str) and run_id:
        return run_id
    from auditpack.render.formats.assessment_json import read_assessment

    return read_assessment(pack).run.id


def check_chain(pack: Path, old: Path) -> list[str]:
    """Why ``pack`` does not follow ``old`` (empty: it does). ``old`` must itself be intact, or its
    SHA256SUMS would vouch for files that changed under it."""
    if not is_pack(old):
        raise NotAPack(f"{old} is not an auditpack pack (no {SUMS}, manifest.json or assessment.json)")
    link = ChainLink.recorded_in(pack)
    if link is None:
        return [f"chain: {pack} records no previous pack"]
    problems = [f"chain: {old} is not intact: {line}" for line in verify(old).lines()]
    if not (old / SUMS).is_file():
        return [*problems, f"chain: {old} has no {SUMS}"]
    actual = ChainLink(_run_id(old), sha256_file(old / SUMS))
    if actual.run_id != link.run_id:
        problems.append(f"chain: {pack} follows run {link.run_id}, and {old} is run {actual.run_id}")
    if actual.sums_sha256 != link.sums_sha256:
        problems.append(f"chain: {old}/{SUMS} is not the one {pack} recorded (SHA-256 {actual.sums_sha256[:16]}…, "
                        f"recorded {link.sums_sha256[:16]}…)")
    return problems
