"""``auditpack validate``: check control files and the config without touching AWS."""

from __future__ import annotations

import argparse

from auditpack.commands import command
from auditpack.commands.scan import add_library_args


def arguments(p: argparse.ArgumentParser) -> None:
    add_library_args(p)


@command("validate", help="validate control files and the config; exit 2 on any problem", arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    library = load_library(args.controls_dir, args.config, formats=FORMATS.names())
    print(f"ok: {len(library.controls)} controls, {len(library.checks)} checks"
          + (f", config {args.config}" if args.config else ""))
    return 0
