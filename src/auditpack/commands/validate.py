"""``auditpack validate``: check control files and the config without touching AWS."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterator

from auditpack.commands import command
from auditpack.commands.scan import add_library_args
from auditpack.evaluate.waivers import is_expired
from auditpack.library.config import Config


def arguments(p: argparse.ArgumentParser) -> None:
    add_library_args(p)


@command("validate", help="validate control files and the config; exit 2 on any problem",
         description="Check the control files (built-in and --controls-dir) and the config without touching AWS. "
         "Every problem of every file is reported in one run, each as file:line: field: what is expected. A "
         "waiver past its expiry date is a warning. Exits 0 when all is valid, 2 otherwise.",
         examples=("auditpack validate --config auditpack.yaml", "auditpack validate --controls-dir my-controls"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    library = load_library(args.controls_dir, args.config, formats=FORMATS.names())
    for warning in expired_waivers(library.config, dt.date.today()):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"ok: {len(library.controls)} controls, {len(library.checks)} checks"
          + (f", config {args.config}" if args.config else ""))
    return 0


def expired_waivers(config: Config, today: dt.date) -> Iterator[str]:
    """A waiver past its date waives nothing: the failure it covered counts again at the next scan. Said at
    validate time so that the risk owner renews it, or the team fixes the finding, before the assessment."""
    for i, waiver in enumerate(config.waivers):
        if is_expired(waiver, today):
            yield (f"{config.where(f'waivers[{i}].expires')}: the waiver of {waiver.check_id} for "
                   f"{waiver.resource} expired on {waiver.expires}; its findings count as failures again")
