"""Stage 5, output formats: one registry, one signature, one module per format (``render.formats``).

A writer takes the finished ``Assessment`` and a ``RenderContext`` and writes its files into the pack; it
returns the paths it wrote so that the manifest can say what produced each file. Writers import heavy
libraries (weasyprint) inside the function, so that ``auditpack --version`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditpack.collect.evidence import evidence_in
from auditpack.library.config import Config
from auditpack.models import Assessment, EvidenceFile
from auditpack.progress import SILENT, Progress
from auditpack.registry import Registry


@dataclass(frozen=True)
class LastStep:
    """A writer's heaviest step, left until the assessment is out of memory (``RenderContext.last``)."""

    phase: str  # what the progress line says while it runs
    run: Callable[[], None]


@dataclass
class RenderContext:
    """What writers may need beyond the assessment: the pack folder, the config in force, the pack's
    evidence files with their digests (computed once, when they were written; see ``auditpack.pack``), and
    the previous assessment when the run follows one (OSCAL includes its result)."""

    pack: Path
    config: Config
    evidence: Mapping[str, EvidenceFile] | None = None  # None: read from the pack folder, once
    extras: dict[str, Any] = field(default_factory=dict)
    previous: Assessment | None = None
    later: list[LastStep] | None = None  # where the steps left for last go; None: each runs at once

    def last(self, phase: str, run: Callable[[], None]) -> None:
        """Run ``run`` after every writer, when the caller collects such steps (``PackBuilder`` does), else
        now. ``run`` must hold nothing of the assessment: it is there to run once the assessment has gone."""
        if self.later is None:
            run()
        else:
            self.later.append(LastStep(phase, run))

    def evidence_files(self) -> Mapping[str, EvidenceFile]:
        """The pack's evidence index: what the caller knew, else each file in ``evidence/`` hashed once."""
        if self.evidence is None:
            self.evidence = evidence_in(self.pack)
        return self.evidence


Writer = Callable[[Assessment, RenderContext], list[Path]]


@dataclass(frozen=True)
class OutputFormat:
    name: str
    description: str
    writer: Writer
    order: int
    files: tuple[str, ...]  # the files it may write, relative to the pack (a re-render replaces exactly these)


FORMATS: Registry[OutputFormat] = Registry("output format", packages=("auditpack.render.formats",),
                                          order=lambda f: (f.order, f.name))


def output(name: str, *, description: str, files: tuple[str, ...], order: int = 50) -> Callable[[Writer], Writer]:
    """Register a writer of ``files``; ``order`` is the order formats are listed and written in (the PDF reads
    what the HTML writer prepared, so it comes after it)."""

    def register(func: Writer) -> Writer:
        FORMATS.register(name, OutputFormat(name, description, func, order, files))
        return func

    return register


def load_formats() -> Registry[OutputFormat]:
    return FORMATS.load()


def chosen_formats(names: list[str] | None) -> list[OutputFormat]:
    """The formats to write for ``names`` (None: every one), in writing order; ``json`` (assessment.json)
    always."""
    if names is None:
        return FORMATS.values()
    wanted = {"json", *names}
    return [fmt for fmt in FORMATS.values() if fmt.name in wanted]


def write_outputs(assessment: Assessment, ctx: RenderContext, names: list[str] | None,
                  progress: Progress = SILENT) -> dict[str, list[Path]]:
    """Run the chosen writers in order, each announced as a phase; returns the paths each wrote."""
    written = {}
    for fmt in chosen_formats(names):
        progress.phase(f"Writing {', '.join(fmt.files)}")
        written[fmt.name] = fmt.writer(assessment, ctx)
    return written
