"""``auditpack diff OLD NEW``: what changed between two packs, as text or JSON.

It reports and exits 0, unless ``--fail-on-new`` asks it to gate a pipeline on failures that are new."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from auditpack.commands import command
from auditpack.commands.exitcodes import NOT_SATISFIED, OK


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", type=Path, metavar="OLD", help="the earlier pack (folder or its assessment.json)")
    p.add_argument("new", type=Path, metavar="NEW", help="the later pack")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--fail-on-new", action="store_true",
                   help="exit 1 when NEW has a failure OLD did not have (waived ones count: a waiver accepts a "
                        "risk, it does not remove it)")


@command("diff", help="new, resolved and persisting failures and control changes between two packs",
         description="Compare two evidence packs by finding id (check, resource and region): failures that "
         "are new, resolved, persisting or no longer assessed, and controls whose status changed. Warns when "
         "the two runs' scopes differ. Exits 0, or 1 with --fail-on-new when a failure is new.",
         examples=("auditpack diff q3-pack q4-pack", "auditpack diff q3-pack q4-pack --json > changes.json",
                   "auditpack diff main-pack pr-pack --fail-on-new"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.evaluate.diff import compare, finding_index, render_text
    from auditpack.render.formats.assessment_json import read_assessment

    old, new = read_assessment(args.old), read_assessment(args.new)
    comparison = compare(old, new)
    if args.json:
        document = {
            "comparison": comparison.model_dump(mode="json"),
            "current_run_id": new.run.id,
            "findings": finding_index(comparison, old, new),
        }
        print(json.dumps(document, indent=2))
    else:
        print(render_text(comparison, old, new), end="")
    if args.json and comparison.scope_differences:
        print("warning: the two runs' scopes differ: " + "; ".join(comparison.scope_differences), file=sys.stderr)
    if args.fail_on_new and comparison.new_failures:
        return NOT_SATISFIED
    return OK
