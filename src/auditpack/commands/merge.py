"""``auditpack merge PACK... --out DIR``: one organization pack from packs of disjoint account subsets."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from auditpack.commands import command
from auditpack.commands.scan import add_sign_key


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("packs", type=Path, nargs="+", metavar="PACK", help="packs to combine (at least two)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write the combined pack")
    p.add_argument("--overwrite", action="store_true", help="replace a pack already at --out")
    p.add_argument("--format", dest="formats", metavar="LIST",
                   help="comma-separated outputs; default: the formats the packs' config names")
    p.add_argument("--previous", type=Path, metavar="DIR",
                   help="last quarter's pack: compare with it, chain to it (auditpack verify --chain)")
    add_sign_key(p)
    p.add_argument("--quiet", action="store_true", help="no summary")


@command("merge", help="verify packs of disjoint account subsets and combine them into one",
         description="Verify packs that assessed disjoint sets of accounts with the same config, controls and "
         "regions, and combine them into one sealed pack, with every control reassessed over all accounts. "
         "Exit codes are those of scan.",
         examples=("auditpack merge pack-a pack-b --out org-pack",),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.commands.console import Console
    from auditpack.commands.exitcodes import exit_code
    from auditpack.commands.scan import parse_formats
    from auditpack.commands.summary import summarize
    from auditpack.pack.merge import merge_packs
    from auditpack.pack.seal import SIGNATURE

    started = time.monotonic()
    outcome, pack = merge_packs(args.packs, args.out, parse_formats(args.formats), overwrite=args.overwrite,
                                   sign_key=args.sign_key, previous=args.previous)
    code = exit_code(outcome)
    console = Console(quiet=args.quiet)
    console.summary(summarize(outcome, pack, code, time.monotonic() - started))
    signed_inputs = [str(p) for p in args.packs if (p / SIGNATURE).is_file()]
    if signed_inputs and args.sign_key is None:
        console.line(f"Not signed: the signatures of {', '.join(signed_inputs)} cover those packs, not the merged "
                     "one; give --sign-key to sign it")
    return code
