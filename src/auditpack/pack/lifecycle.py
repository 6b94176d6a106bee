"""A pack's life, in one place for scan, merge and report: stage, write, seal, publish (or abandon).

A pack is built in a hidden sibling folder and renamed into place only when complete, so an interrupted run
never leaves a pack that looks finished, and a pack already at the destination survives until the new one
is there. Evidence is hashed once, when the recorder writes it or when a verified pack it comes from was
read; the reports, OSCAL and the seal reuse those digests. Files whose digests are unknown (what the
writers produce, evidence a test wrote by hand) are hashed once, by the seal.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from auditpack.collect.evidence import EvidenceRecorder, evidence_in
from auditpack.errors import OutputNotAPack, OutputUnusable, PackExists
from auditpack.evaluate.outcome import Outcome
from auditpack.library.config import Config
from auditpack.models import Assessment, EvidenceFile
from auditpack.pack.chain import ChainLink
from auditpack.pack.seal import (
    MANIFEST,
    SIGNATURE,
    SUMS,
    evidence_from_manifest,
    producers_from,
    read_manifest,
    seal,
    sha256_file,
)
from auditpack.pack.signing import SigningKey, write_signature
from auditpack.progress import SILENT, Progress
from auditpack.render import LastStep, RenderContext, chosen_formats, write_outputs


def check_destination(out: Path, overwrite: bool, record: str = "assessment.json") -> None:
    """Refuse a destination that cannot take the pack, with the reason; a pack already there needs
    ``overwrite``. ``record`` names the file that makes a folder a pack of this kind (``assessment.json``; an
    incident pack's ``incident.json``): a folder without it is never replaced."""
    if out.exists() and not out.is_dir():
        raise OutputNotAPack(out, "is a file, not a folder")
    parent = next((p for p in [out, *out.parents] if p.exists()), Path("."))
    if not parent.is_dir():
        raise OutputUnusable(out, f"{parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputUnusable(out, f"{parent} is not writable")
    if out.is_dir() and any(out.iterdir()):
        if not (out / record).exists():
            raise OutputNotAPack(out)
        if not overwrite:
            manifest = read_manifest(out) or {}
            raise PackExists(out, manifest.get("run_id") or None, manifest.get("sealed_at") or None)


@dataclass(frozen=True)
class Written:
    """What writing a pack taught its builder: every file's digest, what produced each output, and the steps
    left for last. Handed from a process that wrote the pack to the one that seals it (``auditpack.apart``)."""

    known: dict[str, EvidenceFile]
    producers: dict[str, str]
    last: list[LastStep]


class PackBuilder:
    """One pack on its way to ``out``. Use as a context manager: leaving it by an exception abandons it.

    Whether ``out`` can take a pack is settled here, before anything is collected: a file or a foreign folder
    in the way, a folder that cannot be written, or a pack already there (replaced only with ``overwrite``)
    is a ``UserError`` naming the problem. ``record`` names the file that makes a folder a pack of this kind
    (``check_destination``)."""

    def __init__(self, out: Path, *, overwrite: bool = False, record: str = "assessment.json") -> None:
        self.out = out
        check_destination(out, overwrite, record)
        self.path = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
        try:
            self.path.mkdir(parents=True, exist_ok=False)
        except OSError as exc:
            raise OutputUnusable(out, exc.strerror or type(exc).__name__) from None
        self.recorder = EvidenceRecorder(self.path)
        self._known: dict[str, EvidenceFile] = {}  # carried or found files, with their digests
        self._producers: dict[str, str] = {}
        self._last: list[LastStep] = []  # what the writers left until the assessment is out of memory
        self._progress: Progress = SILENT

    def __enter__(self) -> PackBuilder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is not None:
            self.abandon()

    # -- stage -------------------------------------------------------------------------------------------

    def carry(self, source: Path, files: Iterable[str], digests: Mapping[str, str], *, link: bool) -> None:
        """Bring ``files`` of a verified pack into this one, keeping the digests verification computed.

        ``link`` hard-links them (a re-render, whose old pack goes away once this one is published); a merge
        copies, because its inputs stay and a link would let an edit of an input change this pack too.
        """
        recorded = evidence_from_manifest(source)
        entries = (read_manifest(source) or {}).get("files", [])
        producers = {str(f.get("path")): str(f.get("produced_by")) for f in entries
                     if isinstance(f, dict) and f.get("produced_by")}
        for rel in files:
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if link:
                try:
                    os.link(source / rel, target)
                except OSError:  # another file system, or links not allowed: copy instead
                    shutil.copy2(source / rel, target)
            else:
                shutil.copy2(source / rel, target)
            if rel in producers:
                self._producers.setdefault(rel, producers[rel])
            known = recorded.get(rel)
            digest = digests.get(rel) or sha256_file(target)
            self._known[rel] = EvidenceFile(rel, digest, target.stat().st_size,
                                              known.collected_at if known else None, known.purpose if known else None)

    def evidence(self) -> dict[str, EvidenceFile]:
        """Every evidence file in the pack with its digest: recorded, carried, or found and hashed now (once:
        a found file is known from then on)."""
        files = evidence_in(self.path, {**self._known, **self.recorder.files})
        self._known.update(files)
        return files

    # -- write, seal, publish ----------------------------------------------------------------------------

    def write(self, assessment: Assessment, config: Config, formats: list[str] | None,
              extras: dict[str, Any] | None = None, previous: Assessment | None = None,
              progress: Progress = SILENT) -> dict[str, list[Path]]:
        """Run the named writers (``json`` always) into the pack; returns what each wrote, or will have
        written once ``finish_writing`` has run (the seal runs it).

        A writer may leave its heaviest step for last (``RenderContext.last``): the PDF's layout, which needs
        neither the findings nor anything else of the assessment by then, runs once the caller has let the
        assessment go, so the two are never in memory together (docs/performance.md). The files those writers
        produce are removed first: a file carried by a hard link is shared with the pack it came from, and
        writing into it would change that pack too."""
        for fmt in chosen_formats(formats):
            for name in fmt.files:
                (self.path / name).unlink(missing_ok=True)
                self._known.pop(name, None)
        evidence = self.evidence()
        written = write_outputs(assessment, RenderContext(pack=self.path, config=config, evidence=evidence,
                                                          extras=extras or {}, previous=previous,
                                                          later=self._last), formats,
                                 progress)
        self._producers.update(producers_from(written, self.path))
        self._progress = progress
        return written

    def written(self) -> Written:
        """What this builder knows so far, for ``resume`` in another process."""
        return Written({**self._known, **self.recorder.files}, dict(self._producers), list(self._last))

    def resume(self, written: Written, progress: Progress = SILENT) -> None:
        """Go on from what another builder of this same pack wrote (``written``), telling ``progress``."""
        self._known.update(written.known)
        self._producers.update(written.producers)
        self._last = list(written.last)
        self._progress = progress

    def finish_writing(self) -> None:
        """The steps the writers left for last, in the order they were left."""
        while self._last:
            step = self._last.pop(0)
            self._progress.phase(step.phase)
            step.run()

    def wrote(self, paths: Iterable[Path], producer: str) -> None:
        """Files a caller wrote into the pack itself (an incident pack's outputs), and what produced them."""
        self._producers.update({Path(p).resolve().relative_to(self.path.resolve()).as_posix(): producer
                                for p in paths})

    def seal(self, made: Assessment | Outcome, sealed_by: str, *, sign_with: SigningKey | None = None,
             follows: ChainLink | None = None) -> dict[str, Any]:
        """``manifest.json`` (with the link to the pack this one follows) and ``SHA256SUMS`` over every file,
        reusing the digests already known; then, given a key, ``pack.sig.json`` over all of them. A signature
        carried from an older state of the pack never survives a new seal. ``made`` names the run and the tool:
        the assessment, or a scan's outcome once the findings are gone."""
        manifest = self.seal_run(made.run.id, made.tool.version, sealed_by, follows=follows)
        if sign_with is not None:
            digests = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
            digests.update({name: sha256_file(self.path / name) for name in (MANIFEST, SUMS)})
            write_signature(self.path / SIGNATURE, sign_with, digests, {
                "run_id": made.run.id,
                "tool": manifest["tool"],
                "sealed_by": sealed_by,
                "sealed_at": manifest["sealed_at"],
                "previous": manifest.get("previous"),
            })
        return manifest

    def seal_run(self, run_id: str, tool_version: str, sealed_by: str, *,
                 follows: ChainLink | None = None) -> dict[str, Any]:
        """The seal of any pack (an incident pack has no assessment): its run and the tool that made it, then
        every file's digest. Whatever was sealed before, its signature included, is removed first; what the
        writers left for last (``write``) is done before."""
        self.finish_writing()
        self._progress.phase("Sealing")
        for stale in (MANIFEST, SUMS, SIGNATURE):
            (self.path / stale).unlink(missing_ok=True)
        return seal(self.path, self._producers, known={**self._known, **self.recorder.files},
                    run_id=run_id, tool_version=tool_version, sealed_by=sealed_by,
                    follows=follows.record() if follows else None)

    def publish(self) -> Path:
        """Move the finished pack into place. A pack already there is set aside first and deleted only once
        the new one is in place, so an interrupt at any point leaves one complete pack, never none or half."""
        self.recorder.close()
        if not self.out.exists():
            self.path.rename(self.out)
            return self.out
        previous = self.path.with_name(f"{self.path.name}.previous")
        self.out.rename(previous)
        try:
            self.path.rename(self.out)
        except BaseException:
            previous.rename(self.out)
            raise
        shutil.rmtree(previous, ignore_errors=True)
        return self.out

    def abandon(self) -> None:
        """Remove the unfinished pack; collectors still finishing a call can no longer write into it."""
        self.recorder.close()
        shutil.rmtree(self.path, ignore_errors=True)

