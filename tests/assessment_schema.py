"""Every ``assessment.json`` that auditpack writes during the test suite must match ``auditpack schema``.

The guard wraps the registered ``json`` writer rather than scanning folders, so it checks exactly what
auditpack produced (scans, demos, re-renders) and never a file a test corrupted on purpose.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import jsonschema
import pytest


@cache
def assessment_validator() -> jsonschema.protocols.Validator:
    from auditpack.render.formats.assessment_json import json_schema

    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_errors(path: Path) -> list[str]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in assessment_validator().iter_errors(document)]


@pytest.fixture(autouse=True)
def assessment_json_matches_schema() -> Iterator[None]:
    from auditpack.render import FORMATS, load_formats

    original = load_formats()["json"]

    def checked(assessment, ctx):
        paths = original.writer(assessment, ctx)
        for path in paths:
            errors = schema_errors(path)
            assert not errors, f"{path} does not match `auditpack schema`: {errors[:5]}"
        return paths

    with FORMATS.substitute("json", dataclasses.replace(original, writer=checked)):
        yield
