"""Stage 5, output formats: one registry, one signature, one module per format (``render.formats``).

A writer takes the finished ``Assessment`` and a ``RenderContext`` and writes its files into the pack; it
returns the paths it wrote so that the manifest can say what produced each file. Writers import heavy
libraries (weasyprint) inside the function, so that ``auditpack --version`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditpack.models import Assessment
from auditpack.registry import Registry


@dataclass
class RenderContext:
    """What writers may need beyond the assessment: the pack folder and the config in force."""

    pack: Path
    config: Any = None  # auditpack.library.config.Config
    extras: dict[str, Any] = field(default_factory=dict)


Writer = Callable[[Assessment, RenderContext], list[Path]]


@dataclass(frozen=True)
class OutputFormat:
    name: str
    description: str
    writer: Writer
    order: int


FORMATS: Registry[OutputFormat] = Registry("output format", packages=("auditpack.render.formats",),
                                          order=lambda f: (f.order, f.name))


def output(name: str, *, description: str, order: int = 50) -> Callable[[Writer], Writer]:
    """Register a writer; ``order`` is the order formats are listed and written in (the PDF reads what the
    HTML writer prepared, so it comes after it)."""

    def register(func: Writer) -> Writer:
        FORMATS.register(name, OutputFormat(name, description, func, order))
        return func

    return register


def load_formats() -> Registry[OutputFormat]:
    return FORMATS.load()


def write_outputs(assessment: Assessment, ctx: RenderContext, names: list[str]) -> dict[str, list[Path]]:
    """Run the named writers in order; ``json`` (assessment.json) is always written."""
    wanted = {"json", *names}
    written: dict[str, list[Path]] = {}
    for fmt in FORMATS.values():
        if fmt.name in wanted:
            written[fmt.name] = fmt.writer(assessment, ctx)
    return written
