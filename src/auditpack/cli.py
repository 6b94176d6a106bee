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
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

from auditpack import __version__
from auditpack.commands.exitcodes import BROKEN_PIPE, INTERRUPTED, OK, USAGE
from auditpack.errors import UserError, did_you_mean


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subcommands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:  # argparse's default exit code is 2 too; keep one line
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"auditpack: error: {message}\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> argparse.Namespace:  # type: ignore[override]
        """argparse's parse, with the closest known flag offered for an unrecognized one (``--ot``)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = self.subcommands.get(getattr(parsed, "command", None) or "", self)
            known = [flag for action in command._actions for flag in action.option_strings]
            hints = "".join(did_you_mean(extra.split("=")[0], known) for extra in extras if extra.startswith("-"))
            command.error(f"unrecognized arguments: {' '.join(extras)}{hints}")
        return parsed


class _Formatter(argparse.HelpFormatter):
    """Paragraphs are wrapped to the terminal; lines indented by two spaces (examples, tables) are kept."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.split("\n\n"):
            if all(line.startswith("  ") for line in paragraph.splitlines()[1:]) and "\n" in paragraph:
                paragraphs.append("\n".join(indent + line for line in paragraph.splitlines()))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


def _epilog(examples: Sequence[str]) -> str | None:
    return "examples:\n" + "\n".join(f"  {line}" for line in examples) if examples else None


def build_parser() -> _Parser:
    from auditpack.commands import COMMANDS

    parser = _Parser(prog="auditpack", description="Assess AWS accounts against NIST SP 800-53 Rev. 5.",
                     formatter_class=_Formatter,
                     epilog=_epilog(["auditpack demo", "auditpack scan --profile audit --out q4-pack",
                                     "auditpack COMMAND --help"]))
    parser.add_argument("--version", action="version", version=f"auditpack {__version__}")
    parser.add_argument("--debug", action="store_true", help="log debug detail and show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, command in COMMANDS.items():
        description = command.description or command.help[:1].upper() + command.help[1:] + "."
        command_parser = sub.add_parser(name, help=command.help, description=description,
                                        epilog=_epilog(command.examples), formatter_class=_Formatter)
        command.arguments(command_parser)
        # after the subcommand too (auditpack scan ... --debug); SUPPRESS keeps a --debug given before it
        command_parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                    help="log debug detail and show tracebacks")
        command_parser.set_defaults(func=command.run)
        parser.subcommands[name] = command_parser
    return parser


def _unknown_command(args: Sequence[str], commands: Sequence[str]) -> str | None:
    """``scna``: the first word that is not a flag names the command; a typo gets the closest one."""
    word = next((a for a in args if not a.startswith("-")), None)
    if word is None or word in commands:
        return None
    return f"unknown command {word!r}{did_you_mean(word, commands)}; see 'auditpack --help'"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list in (["--version"], ["-V"]):
        print(f"auditpack {__version__}")
        return OK
    parser = build_parser()
    unknown = _unknown_command(args_list, list(parser.subcommands))
    if unknown:
        parser.error(unknown)
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
        if args.debug:  # the traceback was asked for; the message and the exit code stay what they are
            traceback.print_exc()
        from auditpack.commands.messages import describe

        print(f"auditpack: {describe(exc)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader stopped early (auditpack checks | head): nothing more to say, to anyone
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter's final flush must not fail again
        return BROKEN_PIPE
    except OSError as exc:  # a file auditpack reads or writes: the user can act on it, a traceback helps nobody
        if args.debug:
            traceback.print_exc()
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
