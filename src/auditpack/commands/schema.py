"""``auditpack schema``: print the JSON Schema of ``assessment.json``."""

from __future__ import annotations

import argparse
import json

from auditpack.commands import command


@command("schema", help="print the JSON Schema of assessment.json",
         description="Print the JSON Schema (draft 2020-12) of assessment.json, for a GRC system that ingests it.",
         examples=("auditpack schema > assessment.schema.json",))
def run(args: argparse.Namespace) -> int:
    from auditpack.render.formats.assessment_json import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0
