"""The ``auditpack`` command line: argument parsing, exit codes and the one place errors become messages.

Each subcommand lives in ``auditpack.commands.<name>`` and registers itself in ``COMMANDS``; the parser is
built from that registry, so adding a command touches no shared file. Imports stay light here: ``--version`` must not
pay for boto3 or weasyprint.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from auditpack import __version__
from auditpack.commands.exitcodes import INTERRUPTED, OK, USAGE
from auditpack.errors import UserError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exit code is 2 too; keep one line
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"auditpack: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from auditpack.commands import COMMANDS

    parser = _Parser(prog="auditpack", description="Assess AWS accounts against NIST SP 800-53 Rev. 5.")
    parser.add_argument("--version", action="version", version=f"auditpack {__version__}")
    parser.add_argument("--debug", action="store_true", help="log debug detail and show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, command in COMMANDS.items():
        command_parser = sub.add_parser(name, help=command.help, description=command.description)
        command.arguments(command_parser)
        command_parser.set_defaults(func=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list in (["--version"], ["-V"]):
        print(f"auditpack {__version__}")
        return OK
    parser = build_parser()
    args = parser.parse_args(args_list)
    if not args.command:
        parser.print_help(sys.stderr)
        return USAGE
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # botocore's and urllib3's debug logs print request and response bodies, which can hold the very secrets
    # a scan finds: they stay quiet even under --debug, which is for auditpack's own detail.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING if args.debug else logging.ERROR)
    if not args.debug:
        for noisy in ("weasyprint", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        return int(args.func(args))
    except UserError as exc:
        if args.debug:
            raise
        from auditpack.commands.messages import describe

        print(f"auditpack: {describe(exc)}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a file auditpack reads or writes: the user can act on it, a traceback helps nobody
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"auditpack: {where}{exc.strerror or exc}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print("auditpack: interrupted; no pack was written", file=sys.stderr)
        return INTERRUPTED


def run() -> NoReturn:
    """The ``auditpack`` console script: ``main``, then an exit that skips tearing down the heap.

    A normal exit frees every object one by one, a wait that grows with the account and comes after the pack
    is sealed and the summary printed (docs/performance.md). Exit handlers run and the streams are flushed
    first, exactly as on a normal exit; usage errors and ``--help`` (``SystemExit``) leave the usual way.
    """
    code = main()
    atexit._run_exitfuncs()  # logging.shutdown() and any handler a caller registered
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (auditpack ... | head): nothing more can be said
        pass
    os._exit(code)


if __name__ == "__main__":
    run()
