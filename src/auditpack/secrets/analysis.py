"""The pre-evaluation step: read every collected secret source once and enter a verdict for each.

Collection must stay the only stage that talks to AWS and checks must stay pure, yet Kingfisher costs a
process start and a rule load, so it runs once per scan here, between the two. Every secret source (a
resource of a type whose collector declares ``secrets=``) gets a ``SecretScan`` in the inventory's verdict
table: its detections, or the reason the detector failed (its checks then report ``error``, never
``pass``). Sources whose collection failed are not in the inventory, so one source's failure touches only
its own checks.

The detector runs on a thread of its own, started by ``SecretJudging`` as soon as the last source is
collected (the scheduler's ``Milestone``), while the rest is still being collected. Checks are evaluated
only once its verdicts are in, so that the detector's memory and the findings' are not held at once
(docs/performance.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from auditpack.resources.base import secret_source_types
from auditpack.resources.inventory import Inventory
from auditpack.resources.secret_source import Candidate, Detection, SecretScan
from auditpack.secrets.engine import Scanner, beside_key_ids, detect
from auditpack.secrets.fingerprint import Fingerprinter, load_fingerprint_key
from auditpack.secrets.kingfisher import DetectorError, scan_values

log = logging.getLogger(__name__)
FingerprintKey = Path | Callable[[], bytes] | None
Source = tuple[str, Any]  # resource type, resource


def secret_sources(inventory: Inventory) -> list[Source]:
    """Every resource whose values the detector must read, with its resource type."""
    types = secret_source_types()
    return [(rtype, resource)
            for rtype, partitions in inventory.items.items() if rtype in types
            for resources in partitions.values()
            for resource in resources]


def judge(resources: Sequence[Any], fingerprint_key: FingerprintKey = None,
          scanner: Scanner = scan_values) -> list[SecretScan]:
    """One ``SecretScan`` per resource, in order; reads nothing but ``resources`` (safe on another thread)."""
    # A value offered twice (a code package shared by functions, a document in two regions) is judged once.
    offered: list[list[int]] = []
    index: dict[Candidate, int] = {}
    for resource in resources:
        offered.append([index.setdefault(c, len(index)) for c in resource.secret_candidates()])
    candidates = list(index)
    try:
        key = fingerprint_key() if callable(fingerprint_key) else load_fingerprint_key(fingerprint_key)
        found = detect(candidates, Fingerprinter(key), scanner) if candidates else []
        return [verdict(tuple(d for i in mine for d in found[i])) for mine in offered]
    except DetectorError as exc:
        log.warning("secret detection failed: %s", exc)
        return [SecretScan(error=f"the secret detector failed: {exc}") for _ in resources]


CLEAN = SecretScan()  # frozen: one verdict shared by every source where nothing was found


def verdict(detections: tuple[Detection, ...]) -> SecretScan:
    return SecretScan(detections=beside_key_ids(detections)) if detections else CLEAN


def found_secrets(inventory: Inventory) -> set[str]:
    """Every value the detector judged a secret (AWS's documentation keys are not): what evidence must not hold."""
    return {d.secret for scan in inventory.verdicts.values() for d in scan.detections
            if d.secret and not d.informational}


def enter(inventory: Inventory, sources: Sequence[Source], scans: Sequence[SecretScan]) -> None:
    for (rtype, resource), scan in zip(sources, scans, strict=True):
        inventory.verdicts[(rtype, resource.arn)] = scan


class SecretJudging:
    """The secret sources of one inventory, judged on a thread of their own.

    ``start`` lists the sources present at that moment and judges them while the caller goes on; ``finish``
    waits for the verdicts and enters them. A source that was not there at ``start`` is judged then, so an
    early start can only make the scan faster, never leave a source unread.
    """

    def __init__(self, fingerprint_key: FingerprintKey = None, scanner: Scanner = scan_values) -> None:
        self._fingerprint_key = fingerprint_key
        self._scanner = scanner
        self._sources: list[Source] = []
        self._verdicts: Future[list[SecretScan]] | None = None

    def start(self, inventory: Inventory) -> None:
        """Judge the sources in ``inventory`` now; call where nothing writes the inventory while it is read."""
        self._sources = secret_sources(inventory)
        self._verdicts = self._judge_on_thread([resource for _, resource in self._sources])

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
        """Enter every source's verdict in ``inventory`` (started now if ``start`` was not called)."""
        if self._verdicts is None:
            self.start(inventory)
        assert self._verdicts is not None
        enter(inventory, self._sources, self._verdicts.result())
        self._sources = []  # the resources are the inventory's: evaluation may drop them (evaluate's consume)
        late = [(rtype, r) for rtype, r in secret_sources(inventory) if (rtype, r.arn) not in inventory.verdicts]
        if late:
            log.debug("%d secret sources were collected after the detector started", len(late))
            enter(inventory, late, judge([r for _, r in late], self._fingerprint_key, self._scanner))


def analyze_secrets(inventory: Inventory, fingerprint_key: FingerprintKey = None,
                    scanner: Scanner = scan_values) -> None:
    """Enter a ``SecretScan`` for every secret source in ``inventory``."""
    SecretJudging(fingerprint_key, scanner).finish(inventory)
