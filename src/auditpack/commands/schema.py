"""``auditpack schema``: print the JSON Schema of ``assessment.json``."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of assessment.json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from auditpack.render.formats.assessment_json import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0
