"""``auditpack controls``: list the controls in force and the checks that evidence each."""

from __future__ import annotations

import argparse
import json

from auditpack.commands import command
from auditpack.commands.scan import add_library_args


def arguments(p: argparse.ArgumentParser) -> None:
    add_library_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


@command("controls", help="list controls, their checks and parameters",
         description="List the controls in force (built-in, and those of --controls-dir), the checks that "
         "evidence each with their severity, and the organization-defined parameter values that apply (from "
         "the control files, or the config). In JSON, a control's severity is that of its most severe check.",
         examples=("auditpack controls", "auditpack controls --json --config auditpack.yaml"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    library = load_library(args.controls_dir, args.config, formats=FORMATS.names())
    if args.json:
        rows = [
            {
                "id": c.id, "oscal_id": c.oscal_id, "title": c.title, "family": c.family, "checks": list(c.checks),
                "severity": max((library.checks[k].severity for k in c.checks), key=lambda s: s.rank).value,
                "check_details": [{"id": k, "title": library.checks[k].title,
                                   "severity": library.checks[k].severity.value} for k in c.checks],
                "parameters": {p.key: library.params.values.get(p.feeds, p.default) for p in c.parameters},
            }
            for c in library.controls.values()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for c in library.controls.values():
        print(f"{c.id:<10} {c.title}  [{c.family}]")
        for check_id in c.checks:
            spec = library.checks[check_id]
            print(f"    {check_id:<36} {spec.severity.value:<9} {spec.title}")
        for p in c.parameters:
            print(f"    param {p.odp_id or '(tool-defined)'}: {p.name} = {library.params.values.get(p.feeds)!r}")
    return 0
