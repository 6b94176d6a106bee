"""What a person sees on stderr: progress while collecting and the closing summary.

A live bar on a terminal, plain lines when piped (CI logs), nothing with ``--quiet``. Output never includes
resource values, only counts and names.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from auditpack.models import Assessment, ControlStatus, Severity, Status


class Console:
    def __init__(self, quiet: bool = False, stream=None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[int, int, str], None] | None]:
        if self.quiet:
            yield None
            return
        if self.stream.isatty():
            from rich.console import Console as RichConsole
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=RichConsole(file=self.stream), transient=True) as bar:
                task = bar.add_task(label, total=None)

                def update(done: int, total: int, what: str) -> None:
                    bar.update(task, completed=done, total=total, description=f"{label} {what}")

                yield update
            return
        last = [0.0]

        def plain(done: int, total: int, what: str) -> None:
            now = time.monotonic()
            if done == total or now - last[0] >= 1.0:
                last[0] = now
                self.line(f"{label}: {done}/{total} ({what})")

        yield plain

    def summary(self, assessment: Assessment, pack: Path) -> None:
        controls = Counter(c.status for c in assessment.controls)
        failed = Counter(f.severity for f in assessment.findings if f.status == Status.FAIL)
        errors = sum(1 for f in assessment.findings if f.status == Status.ERROR)
        self.line("")
        scope = assessment.scope
        self.line(f"Assessed {counted(len(assessment.controls), 'control')} in "
                  f"{counted(len(scope.accounts), 'account')}, {counted(len(scope.regions), 'region')}:")
        for status in ControlStatus:
            self.line(f"  {status.value:<15} {controls.get(status, 0)}")
        sev = ", ".join(f"{failed.get(s, 0)} {s.value}" for s in Severity)
        self.line(f"Failed findings by severity: {sev}")
        if errors:
            self.line(f"Checks that could not be evaluated: {errors} (see errors in assessment.json)")
        unreachable = sorted({(e.account, e.error_code) for e in assessment.errors if e.operation == "AssumeRole"})
        for account, code in unreachable:
            self.line(f"Account {account} not assessed: its role could not be assumed ({code})")
        self.line(f"Evidence pack: {pack}")


def counted(n: int, noun: str) -> str:
    """``1 control``, ``2 controls``: the summary is read by people, so it says it the way they would."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
