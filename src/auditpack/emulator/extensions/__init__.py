"""What the emulator adds to moto, in process: operations moto lacks, and answers moto gets wrong.

Each module here patches one service of moto's server (its response handler and URL routes) before the
first request reaches it, keeping its state in moto's own backend objects, so ``/moto-api/reset`` clears it
like moto's. Every extension registers in ``EXTENSIONS`` with the operations it adds and why; the demo, the
tests and the benchmarks all run on the same extended emulator (``Emulator.start`` installs them), and
``tests/test_emulator_extensions.py`` exercises each one through boto3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditpack.registry import Registry


@dataclass(frozen=True)
class Extension:
    name: str
    service: str
    operations: tuple[str, ...]  # the API operations it adds or corrects
    reason: str  # what moto lacks or gets wrong, in a sentence
    install: Callable[[], None]


EXTENSIONS: Registry[Extension] = Registry("emulator extension", packages=("auditpack.emulator.extensions",))
_installed: set[str] = set()


def extension(name: str, *, service: str, operations: tuple[str, ...], reason: str,
              ) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register ``install``, which patches moto; it runs once per process, before the server answers."""

    def register(install: Callable[[], None]) -> Callable[[], None]:
        EXTENSIONS.register(name, Extension(name, service, operations, reason, install))
        return install

    return register


def install_all() -> None:
    for ext in EXTENSIONS.values():
        if ext.name not in _installed:
            ext.install()
            _installed.add(ext.name)
