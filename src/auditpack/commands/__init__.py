"""The command line: one module per subcommand, each registered in ``COMMANDS`` with its arguments and its run.

``auditpack.cli`` builds the parser from the registry, so adding a command is one module here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from auditpack.registry import Registry

Arguments = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command that takes none."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Arguments
    run: Run
    description: str | None = None  # --help's paragraph; the one-line help when absent
    examples: tuple[str, ...] = ()  # command lines --help shows, each safe to paste into a shell


COMMANDS: Registry[Command] = Registry("command", packages=("auditpack.commands",))


def command(name: str, *, help: str, arguments: Arguments = _no_arguments, description: str | None = None,
            examples: tuple[str, ...] = ()) -> Callable[[Run], Run]:
    """Register ``run`` as the subcommand ``name``; ``arguments`` adds its flags to its parser."""

    def register(run: Run) -> Run:
        COMMANDS.register(name, Command(name, help, arguments, run, description, examples))
        return run

    return register
