"""``auditpack demo``: scan a seeded local emulator and write a full evidence pack."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="scan a seeded, emulated AWS account (no AWS account needed)")
    p.add_argument("--out", type=Path, default=Path("auditpack-demo"), metavar="DIR")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from auditpack.emulator.demo import run_demo

    code = run_demo(args.out, quiet=args.quiet)
    if code in (0, 1, 3):
        # The sample account fails controls on purpose: for the demo, a written pack is success.
        print(f"Demo pack written to {args.out} (the scan's own exit code was {code}).", file=sys.stderr)
        return 0
    return code
