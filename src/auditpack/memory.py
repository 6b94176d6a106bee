"""How one scan keeps its memory and its garbage-collection time in check.

A scan builds up hundreds of thousands of long-lived objects (the inventory, then the findings) that reference
counting alone frees. Python's cyclic collector does not know that: each time the surviving objects grow by a
quarter it walks all of them again, a noticeable part of a large scan's time for collections that find almost
nothing (docs/performance.md). Here the objects alive at each stage boundary are moved out of its sight
(``gc.freeze``, which is constant-time) and young collections run less often; cycles made later are still
collected.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

YOUNG_THRESHOLD = 50_000  # CPython's default is 700; at this size young garbage stays a few MB


@contextmanager
def long_lived_objects() -> Iterator[None]:
    """Within the block, ``gc`` ignores what already exists and runs young collections less often; call
    ``settled()`` at a stage boundary. On leaving, the collector sees everything again (tests and other
    in-process callers run scan after scan)."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def settled(*, cycles: bool = False) -> None:
    """The objects alive now will live to the end of the scan: stop walking them, and give back what the
    stage before freed.

    With ``cycles``, the cyclic garbage made since the last boundary is collected first (one pass over the
    objects made since, none over those frozen before): frozen, it would never be freed. The AWS sessions
    dropped when collection returns are such garbage, with their clients and the service models they parsed.
    """
    if cycles:
        gc.collect()
    gc.freeze()
    release_free_memory()


def release_free_memory() -> bool:
    """Return glibc's free heap pages to the system; False where that is not glibc.

    Large responses parsed during collection leave freed memory inside the heap, still counted as resident;
    trimming at stage boundaries lowers the scan's peak (docs/performance.md).
    """
    libc = _libc()
    try:
        return bool(libc.malloc_trim(0)) if libc else False
    except AttributeError:
        return False


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas before the pools start; False where that is not glibc.

    glibc gives each busy thread its own arena (up to 8 per core), and the transient memory of large responses
    parsed at once in many threads stays resident in all of them: capping at two cut collection's resident
    growth by about a quarter in docs/performance.md's measurement, at no measurable cost in wall time.
    """
    libc = _libc()
    m_arena_max = -8  # from malloc.h
    try:
        return bool(libc.mallopt(m_arena_max, arenas)) if libc else False
    except AttributeError:
        return False


@functools.cache
def _libc() -> Any:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None
