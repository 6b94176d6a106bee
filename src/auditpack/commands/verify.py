"""``auditpack verify DIR``: prove a pack is exactly as it was sealed, naming every file that is not."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from auditpack.commands import command


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pack", type=Path, metavar="DIR", help="the pack folder")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


@command("verify", help="check a pack against its SHA256SUMS and manifest.json; exit 1 on any change",
         description="Check every file of an evidence pack against SHA256SUMS and manifest.json and "
         "name each file that is missing, added or altered. Exit 0 when intact, 1 when not, 2 when "
         "DIR is not a pack. The same check without auditpack: cd DIR && sha256sum -c SHA256SUMS",
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.errors import UserError
    from auditpack.pack.verify import NotAPack, verify

    try:
        result = verify(args.pack)
    except NotAPack as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps({"pack": str(args.pack), "intact": result.intact, "checked": result.checked,
                          "missing": result.missing, "added": result.added, "altered": result.altered,
                          "problems": result.problems}, indent=2))
    elif result.intact:
        print(f"{args.pack}: intact ({result.checked} files match SHA256SUMS and manifest.json)")
    else:
        for line in result.lines():
            print(line)
        print(f"{args.pack}: NOT intact ({len(result.lines())} problem(s))")
    return 0 if result.intact else 1
