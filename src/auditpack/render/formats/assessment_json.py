"""``assessment.json``: our own versioned format, the source every other output can be rebuilt from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from auditpack.models import FINDING, Assessment
from auditpack.render import RenderContext, output

FILENAME = "assessment.json"
# With two-space indentation only a top-level key starts a line with exactly two spaces, and strings cannot hold
# a raw newline: this text occurs once, where the findings go.
_EMPTY_FINDINGS = '\n  "findings": [],\n'


@output("json", description="assessment.json, auditpack's versioned format (JSON Schema: auditpack schema)",
        files=(FILENAME,), order=0)
def write_assessment(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    path = ctx.pack / FILENAME
    with path.open("w", encoding="utf-8") as handle:
        for chunk in assessment_json_chunks(assessment):
            handle.write(chunk)
    return [path]


def assessment_json_chunks(assessment: Assessment) -> Iterator[str]:
    """The document ``model_dump_json(indent=2)`` would give, one finding at a time.

    A large account has tens of thousands of findings; dumping them in one piece held the whole text two or
    three times over at once, the scan's peak memory (docs/performance.md). Written in pieces, the extra
    memory is one finding's text.
    """
    shell = assessment.model_copy(update={"findings": []}).model_dump_json(indent=2)
    head, found, tail = shell.partition(_EMPTY_FINDINGS)
    if not found:
        raise RuntimeError("bug: the serialized assessment has no top-level findings key")
    if not assessment.findings:
        yield shell + "\n"
        return
    yield head + '\n  "findings": ['
    for n, finding in enumerate(assessment.findings):
        text = FINDING.dump_json(finding, indent=2).decode()
        yield ("\n    " if n == 0 else ",\n    ") + text.replace("\n", "\n    ")
    yield "\n  ],\n" + tail + "\n"


def read_assessment(pack: Path) -> Assessment:
    """Load a pack's assessment; a missing or foreign file is the user's error."""
    from pydantic import ValidationError

    from auditpack.errors import UserError

    path = pack / FILENAME if pack.is_dir() else pack
    try:
        return Assessment.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise UserError(f"{path}: not found; is {pack} an auditpack pack?") from exc
    except (ValidationError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0:3]
        raise UserError(f"{path}: not a valid assessment: {' '.join(first)}") from exc


def json_schema() -> dict:
    schema = Assessment.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://auditpack.dev/schema/assessment.json"
    return schema
