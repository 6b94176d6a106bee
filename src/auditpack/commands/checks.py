"""``auditpack checks``: every check this installation has, what it reads and which controls cite it."""

from __future__ import annotations

import argparse
import json

from auditpack.commands import command
from auditpack.commands.scan import add_library_args


def arguments(p: argparse.ArgumentParser) -> None:
    add_library_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


@command("checks", help="list every check: title, severity, controls, resource types and description",
         description="List every check this installation has, built-in and from installed plugins, with the "
         "controls that cite it (a check no control cites does not run), the AWS services and resource types "
         "it reads, its parameters and how it works. The ids are what --check and --exclude-check take.",
         examples=("auditpack checks",
                   "auditpack checks --json | jq -r '.[] | select(.severity == \"critical\") | .id'"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.library.checks import load_checks
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    library = load_library(args.controls_dir, args.config, formats=FORMATS.names())
    cited = library.controls_by_check()
    rows = [
        {
            "id": spec.id, "title": spec.title, "severity": spec.severity.value, "controls": cited.get(spec.id, []),
            "services": list(spec.services), "resource_types": list(spec.resources),
            "parameters": {name: library.params.values.get(name, spec.defaults().get(name)) for name in spec.params},
            "description": spec.description, "remediation": spec.remediation,
        }
        for spec in load_checks().values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(row["id"]) for row in rows)
    for row in rows:
        controls = ", ".join(row["controls"]) or "no control cites it: it does not run"
        print(f"{row['id']:<{width}}  {row['severity']:<13} {row['title']}")
        print(f"{'':<{width}}  controls: {controls}; reads {', '.join(row['resource_types'])}")
    return 0
