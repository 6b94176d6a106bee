"""What a person sees on stderr: each phase of a run as it happens, and the closing summary.

A live bar on a terminal, plain lines when piped (CI logs), nothing with ``--quiet``. Output never includes
resource values, only counts, names and the checks' own (masked) sentences.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from auditpack.commands.summary import Summary
from auditpack.progress import SILENT, Progress


class Console:
    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def progress(self) -> Iterator[Progress]:
        """The run's phases as they happen: a bar on a terminal, a line per phase (and one a second at most
        within a phase) otherwise."""
        if self.quiet:
            yield SILENT
            return
        if self.stream.isatty():
            from rich.console import Console as RichConsole
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                     console=RichConsole(file=self.stream), transient=True) as bar:
                yield _LiveProgress(bar)
            return
        yield _PlainProgress(self.line)

    def summary(self, summary: Summary) -> None:
        self.line("")
        for text in summary_lines(summary):
            self.line(text)


class _LiveProgress:
    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.task = bar.add_task("Starting", total=None)
        self.name = "Starting"

    def phase(self, name: str) -> None:
        self.name = name
        self.bar.update(self.task, description=name, completed=0, total=None)

    def advance(self, done: int, total: int, what: str) -> None:
        self.bar.update(self.task, completed=done, total=total, description=f"{self.name} {what}")

    def notice(self, text: str) -> None:
        self.bar.console.print(text, markup=False, highlight=False)


class _PlainProgress:
    def __init__(self, line: Any) -> None:
        self.line = line
        self.name = ""
        self.last = 0.0

    def phase(self, name: str) -> None:
        self.name = name
        self.line(f"{name}...")

    def advance(self, done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if done == total or now - self.last >= 1.0:
            self.last = now
            self.line(f"{self.name}: {done}/{total} ({what})")

    def notice(self, text: str) -> None:
        self.line(f"  {text}")


def summary_lines(s: Summary) -> Iterator[str]:
    accounts, regions = counted(len(s.accounts), "account"), counted(len(s.regions), "region")
    yield f"Assessed {counted(sum(s.controls.values()), 'control')} in {accounts}, {regions}:"
    if s.selection:
        yield f"  narrowed to {s.selection}; each control was judged on these checks only"
    for status, n in s.controls.items():
        yield f"  {status:<15} {n}"
    yield "Failed findings by severity: " + ", ".join(f"{n} {sev}" for sev, n in s.failures_by_severity.items())
    if s.top_failures:
        yield "Most severe failures:"
        for f in s.top_failures:
            yield f"  {f.severity:<8} {f.check_id}  {f.resource_name} ({f.account}, {f.region})"
            yield f"           {shortened(f.message, 110)}"
    if s.not_evaluated:
        yield f"Checks that could not be evaluated: {s.not_evaluated} (listed in {s.not_evaluated_section})"
    for account, code in s.unreachable_accounts.items():
        yield f"Account {account} not assessed: its role could not be assumed ({code})"
    missing = [what for what, value in (("organization", s.organization), ("system", s.system)) if not value]
    if missing:
        yield (f"No {' or '.join(missing)} name is configured, so the report's cover reads \"Not set\" "
               f"(set organization.{missing[0]} in auditpack.yaml).")
    yield f"Evidence pack: {s.pack}"
    for kind, path in s.reports.items():
        yield f"  {kind.upper()} report: {path}"
    yield f"Exit code {s.exit_code}: {s.result}. Took {elapsed(s.elapsed_seconds)}."


def counted(n: int, noun: str) -> str:
    """``1 control``, ``2 controls``: the summary is read by people, so it says it the way they would."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def shortened(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def elapsed(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"
