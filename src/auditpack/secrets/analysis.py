"""The pre-evaluation step: read every collected secret source once, attach the verdicts to the resources.

Collection must stay the only stage that talks to AWS and checks must stay pure, yet Kingfisher costs a
process start and a rule load, so it runs once per scan here, between the two. Each source resource comes
out with a ``secret_scan``: its detections, or the reason the detector failed (its checks then report
``error``, never ``pass``). Sources whose collection failed are not in the inventory, so one source's
failure touches only its own checks.

The detector runs in another process, started by ``SecretJudging`` as soon as the last source is collected
(the scheduler's ``Milestone``), while the rest is still being collected. Checks are evaluated only once its
verdicts are in: at size L the detector holds ~130 MB, and the findings made meanwhile took the scan and the
detector together to ~480 MB (docs/performance.md).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from auditpack.collect.redaction import Fingerprinter, load_fingerprint_key
from auditpack.resources.base import CollectorSpec, produced_class
from auditpack.resources.inventory import Inventory, Key
from auditpack.resources.secret_source import Candidate, SecretScan
from auditpack.secrets.engine import Scanner, detect
from auditpack.secrets.kingfisher import DetectorError, scan_values

log = logging.getLogger(__name__)
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


def source_types(specs: Iterable[CollectorSpec]) -> frozenset[str]:
    """The resource types whose collectors make secret sources, known before anything is collected."""
    return frozenset(spec.resource_type for spec in specs
                     if (cls := produced_class(spec)) is not None and _is_source_type(cls))


class SecretJudging:
    """The secret sources of one inventory, judged on a thread of their own.

    ``start`` lists the sources present at that moment and judges them while the caller goes on; ``finish``
    waits for the verdicts and attaches them. A source that was not there at ``start`` (a collector whose
    annotation does not say it makes sources) is judged then, so an early start can only make the scan
    faster, never leave a source unread.
    """

    def __init__(self, fingerprint_key: FingerprintKey = None, scanner: Scanner = scan_values) -> None:
        self._fingerprint_key = fingerprint_key
        self._scanner = scanner
        self._slots: list[Slot] = []
        self._verdicts: Future[list[SecretScan]] | None = None

    def start(self, inventory: Inventory) -> None:
        """Judge the sources in ``inventory`` now; call where nothing writes the inventory while it is read."""
        sources = secret_sources(inventory)
        self._slots = [slot for slot, _ in sources]
        self._verdicts = self._judge_on_thread([resource for _, resource in sources])

    def _judge_on_thread(self, resources: list[Any]) -> Future[list[SecretScan]]:
        verdicts: Future[list[SecretScan]] = Future()

        def run() -> None:
            try:
                verdicts.set_result(judge(resources, self._fingerprint_key, self._scanner))
            except BaseException as exc:  # a bug: re-raised where the verdicts are awaited
                verdicts.set_exception(exc)

        # A daemon: an interrupted scan does not wait for the detector (the terminal's Ctrl-C stops it too).
        threading.Thread(target=run, name="secrets", daemon=True).start()
        return verdicts

    def finish(self, inventory: Inventory) -> None:
        """Attach every source's verdict to ``inventory`` (started now if ``start`` was not called)."""
        if self._verdicts is None:
            self.start(inventory)
        assert self._verdicts is not None
        attach(inventory, self._slots, self._verdicts.result())
        late = [(slot, resource) for slot, resource in secret_sources(inventory) if resource.secret_scan is None]
        if late:
            log.debug("%d secret sources were collected after the detector started", len(late))
            attach(inventory, [slot for slot, _ in late],
                   judge([resource for _, resource in late], self._fingerprint_key, self._scanner))


def analyze_secrets(inventory: Inventory, fingerprint_key: FingerprintKey = None,
                    scanner: Scanner = scan_values) -> None:
    """Attach a ``SecretScan`` to every secret source in ``inventory`` (in place)."""
    SecretJudging(fingerprint_key, scanner).finish(inventory)
