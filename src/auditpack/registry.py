"""The one registry primitive: a named table of plugins, filled by decorators and found by discovery.

Checks, collectors, output formats and commands are each a ``Registry``. A built-in entry registers itself
when its module is imported, and ``load`` imports every module of the registry's packages; a third-party
entry arrives through an entry-point group (``auditpack.checks``) and registers in exactly the same way, so
whatever validates a built-in entry validates it too.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from auditpack.errors import UserError

T = TypeVar("T")


class DuplicateEntry(ValueError):
    """Two different entries claimed one name: a bug in a built-in module or a clash with a plugin."""


class PluginFailed(UserError):
    """An installed plugin package could not be imported; its entry point is named so it can be fixed."""


class Registry(Generic[T]):
    """Entries by name. ``order`` says how entries are listed (default: by name), so that every process lists
    them the same way whatever order their modules happened to be imported in."""

    def __init__(self, kind: str, *, packages: tuple[str, ...] = (), entry_point_group: str | None = None,
                 order: Callable[[T], Any] | None = None) -> None:
        self.kind = kind
        self.packages = packages
        self.entry_point_group = entry_point_group
        self._order = order
        self._entries: dict[str, T] = {}
        self._loaded = False
        self._completions: list[Callable[[Registry[T]], None]] = []

    def register(self, name: str, entry: T) -> T:
        known = self._entries.get(name)
        if known is not None and known != entry:
            raise DuplicateEntry(f"{self.kind} {name!r} registered twice")
        self._entries[name] = entry
        return entry

    def load(self) -> Registry[T]:
        """Import every module of the registry's packages, then every plugin of its entry-point group (once)."""
        if self._loaded:
            return self
        self._loaded = True
        for package_name in self.packages:
            package = importlib.import_module(package_name)
            for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                importlib.import_module(f"{package_name}.{module.name}")
        if self.entry_point_group:
            from importlib.metadata import entry_points  # only where plugins can exist: it is slow to import

            for point in sorted(entry_points(group=self.entry_point_group), key=lambda p: p.name):
                try:
                    point.load()
                except Exception as exc:
                    raise PluginFailed(f"{self.kind} plugin {point.value!r} (entry point {point.name!r} in group "
                                       f"{self.entry_point_group}) failed to load: {type(exc).__name__}: {exc}"
                                       ) from exc
        for complete in self._completions:
            complete(self)
        return self

    def complete_with(self, derive: Callable[[Registry[T]], None]) -> None:
        """Run ``derive`` once every module has registered (now, if that is done): for entries made from
        others, such as a collector every secret source gets."""
        self._completions.append(derive)
        if self._loaded:
            derive(self)

    def _sorted(self) -> list[tuple[str, T]]:
        order = self._order
        if order is None:
            return sorted(self._entries.items())
        return sorted(self._entries.items(), key=lambda item: order(item[1]))

    def items(self) -> list[tuple[str, T]]:
        return self.load()._sorted()

    def values(self) -> list[T]:
        return [entry for _, entry in self.items()]

    def names(self) -> list[str]:
        return [name for name, _ in self.items()]

    def get(self, name: str) -> T | None:
        return self.load()._entries.get(name)

    def __getitem__(self, name: str) -> T:
        entry = self.get(name)
        if entry is None:
            raise KeyError(f"no {self.kind} named {name!r}")
        return entry

    def __contains__(self, name: object) -> bool:
        return name in self.load()._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.load()._entries)

    @contextmanager
    def substitute(self, name: str, entry: T) -> Iterator[T]:
        """Within the block, ``name`` is ``entry`` (a wrapped writer, a test's own collector); afterwards it is
        what it was, or absent again."""
        self.load()
        before = self._entries.get(name)
        self._entries[name] = entry
        try:
            yield entry
        finally:
            if before is None:
                self._entries.pop(name, None)
            else:
                self._entries[name] = before

    def as_dict(self) -> dict[str, T]:
        """A snapshot, in listing order."""
        return dict(self.items())
