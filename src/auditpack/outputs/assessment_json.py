"""``assessment.json``: our own versioned format, the source every other output can be rebuilt from."""

from __future__ import annotations

import json
from pathlib import Path

from auditpack.models import Assessment
from auditpack.outputs import RenderContext, output

FILENAME = "assessment.json"


@output("json", description="assessment.json, auditpack's versioned format (JSON Schema: auditpack schema)", order=0)
def write_assessment(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    path = ctx.pack / FILENAME
    path.write_text(assessment.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return [path]


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
