"""The pre-evaluation step: read every collected secret source once, attach the verdicts to the resources.

Collection must stay the only stage that talks to AWS and checks must stay pure, yet Kingfisher costs a
process start and a rule load, so it runs once per scan here, between the two. Each source resource comes
out with a ``secret_scan``: its detections, or the reason the detector failed (its checks then report
``error``, never ``pass``). Sources whose collection failed are not in the inventory, so one source's
failure touches only its own checks.

The detector runs in another process; ``analyze_secrets_alongside`` lets the checks that read no secret
source be evaluated meanwhile, on the core the detector leaves idle.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from auditpack.inventory import Inventory, Key
from auditpack.redact import Fingerprinter, load_fingerprint_key
from auditpack.secrets.engine import Scanner, detect
from auditpack.secrets.kingfisher import DetectorError, scan_values
from auditpack.secrets.model import Candidate, SecretScan

log = logging.getLogger(__name__)
T = TypeVar("T")
FingerprintKey = Path | Callable[[], bytes] | None
Slot = tuple[str, Key, int]  # resource type, partition, position in the partition's list


@functools.cache
def _is_source_type(cls: type) -> bool:
    # Asked once per class: ``hasattr`` on a pydantic instance raises and catches inside ``__getattr__``,
    # which cost a tenth of the scan's Python time at size M when it was asked of every resource.
    return callable(getattr(cls, "secret_candidates", None)) and "secret_scan" in getattr(cls, "model_fields", {})


def secret_sources(inventory: Inventory) -> list[tuple[Slot, Any]]:
    """Every resource whose values the detector must read, with where it sits in the inventory."""
    return [
        ((rtype, key, pos), resource)
        for rtype, partitions in inventory.items.items()
        for key, resources in partitions.items()
        for pos, resource in enumerate(resources)
        if _is_source_type(type(resource))
    ]


def judge(resources: Sequence[Any], fingerprint_key: FingerprintKey = None,
          scanner: Scanner = scan_values) -> list[SecretScan]:
    """One ``SecretScan`` per resource, in order; reads nothing but ``resources`` (safe on another thread)."""
    spans: list[tuple[int, int]] = []
    candidates: list[Candidate] = []
    for resource in resources:
        mine = resource.secret_candidates()
        spans.append((len(candidates), len(candidates) + len(mine)))
        candidates.extend(mine)
    try:
        key = fingerprint_key() if callable(fingerprint_key) else load_fingerprint_key(fingerprint_key)
        found = detect(candidates, Fingerprinter(key), scanner) if candidates else []
        return [SecretScan(detections=tuple(d for ds in found[a:b] for d in ds)) for a, b in spans]
    except DetectorError as exc:
        log.warning("secret detection failed: %s", exc)
        return [SecretScan(error=f"the secret detector failed: {exc}") for _ in resources]


def attach(inventory: Inventory, slots: Sequence[Slot], scans: Sequence[SecretScan]) -> None:
    for (rtype, key, pos), scan in zip(slots, scans, strict=True):
        items = inventory.items[rtype][key]
        items[pos] = items[pos].model_copy(update={"secret_scan": scan})


def analyze_secrets(inventory: Inventory, fingerprint_key: FingerprintKey = None,
                    scanner: Scanner = scan_values) -> None:
    """Attach a ``SecretScan`` to every secret source in ``inventory`` (in place)."""
    analyze_secrets_alongside(inventory, secret_sources(inventory), lambda: None, fingerprint_key, scanner)


def analyze_secrets_alongside(inventory: Inventory, sources: list[tuple[Slot, Any]], work: Callable[[], T],
                              fingerprint_key: FingerprintKey = None, scanner: Scanner = scan_values) -> T:
    """Run ``work`` while ``sources`` (from ``secret_sources``) are judged, then attach the verdicts; ``work``'s
    result.

    ``work`` may read the inventory but not its secret sources (their verdicts are not in yet) and must not
    write it. The sources are listed before the detector's thread starts, so that thread never walks the
    inventory while ``work`` uses it.
    """
    if not sources:
        return work()
    slots = [slot for slot, _ in sources]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="secrets") as pool:
        pending = pool.submit(judge, [resource for _, resource in sources], fingerprint_key, scanner)
        result = work()
        scans = pending.result()
    attach(inventory, slots, scans)
    return result
