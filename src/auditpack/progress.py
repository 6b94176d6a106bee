"""How the engine tells whoever runs it what it is doing: phases, steps within one, and notices.

A scan of a large organization takes minutes; each of its phases (planning, collecting, judging secrets,
evaluating, writing each output, sealing) is announced, and a call botocore retries is a notice that says
why, so a long wait never looks like a hang. The engine speaks only through this protocol; the terminal
(``commands.console``) decides how it looks, and tests, benchmarks and programs pass ``SILENT``.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def phase(self, name: str) -> None:
        """A phase begins (``Collecting``, ``Writing report.pdf``); the previous one is over."""

    def advance(self, done: int, total: int, what: str) -> None:
        """``done`` of the phase's ``total`` steps are finished; ``what`` is the last one."""

    def notice(self, text: str) -> None:
        """Something worth a line of its own while the phase goes on (a retried call, and why)."""


class _Silent:
    def phase(self, name: str) -> None:
        pass

    def advance(self, done: int, total: int, what: str) -> None:
        pass

    def notice(self, text: str) -> None:
        pass


SILENT: Progress = _Silent()
