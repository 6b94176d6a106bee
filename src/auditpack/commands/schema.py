"""``auditpack schema``: the JSON Schema of ``assessment.json``, or with ``--incident`` of ``incident.json``."""

from __future__ import annotations

import argparse
import json

from auditpack.commands import command


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--incident", action="store_true", help="the schema of an incident pack's incident.json")


@command("schema", help="print the JSON Schema of assessment.json (--incident: of incident.json)",
         description="Print the JSON Schema (draft 2020-12) of assessment.json, for a GRC system that ingests it; "
         "with --incident, of an incident pack's incident.json.",
         examples=("auditpack schema > assessment.schema.json", "auditpack schema --incident > incident.schema.json"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    if args.incident:
        from auditpack.render.incident import json_schema
    else:
        from auditpack.render.formats.assessment_json import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0
