"""``auditpack diff OLD NEW``: what changed between two packs, as text or JSON; always exits 0."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from auditpack.commands import command


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", type=Path, metavar="OLD", help="the earlier pack (folder or its assessment.json)")
    p.add_argument("new", type=Path, metavar="NEW", help="the later pack")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")


@command("diff", help="new, resolved and persisting failures and control changes between two packs",
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
    # A diff reports; it does not judge. Gate on 'auditpack scan' exit codes instead.
    return 0
