"""The pre-evaluation step: read every collected secret source once, attach the verdicts to the resources.

Collection must stay the only stage that talks to AWS and checks must stay pure, yet Kingfisher costs a
process start and a rule load, so it runs once per scan here, between the two. Each source resource comes
out with a ``secret_scan``: its detections, or the reason the detector failed (its checks then report
``error``, never ``pass``). Sources whose collection failed are not in the inventory, so one source's
failure touches only its own checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from auditpack.inventory import Inventory
from auditpack.redact import Fingerprinter, load_fingerprint_key
from auditpack.secrets.engine import Scanner, detect
from auditpack.secrets.kingfisher import DetectorError, scan_values
from auditpack.secrets.model import Candidate, SecretScan

log = logging.getLogger(__name__)


def _is_source(resource: object) -> bool:
    # Asked of the class: ``hasattr`` on a pydantic model instance raises and catches inside ``__getattr__``,
    # which cost a tenth of the scan's Python time at size M.
    cls = type(resource)
    return callable(getattr(cls, "secret_candidates", None)) and "secret_scan" in getattr(cls, "model_fields", {})


def analyze_secrets(inventory: Inventory, fingerprint_key: Path | Callable[[], bytes] | None = None,
                    scanner: Scanner = scan_values) -> None:
    """Attach a ``SecretScan`` to every secret source in ``inventory`` (in place)."""
    slots: list[tuple[str, tuple[str, str], int]] = []
    spans: list[tuple[int, int]] = []
    candidates: list[Candidate] = []
    for rtype, partitions in inventory.items.items():
        for key, resources in partitions.items():
            for pos, resource in enumerate(resources):
                if not _is_source(resource):
                    continue
                mine = resource.secret_candidates()
                slots.append((rtype, key, pos))
                spans.append((len(candidates), len(candidates) + len(mine)))
                candidates.extend(mine)
    if not slots:
        return
    scans: list[SecretScan]
    try:
        key = fingerprint_key() if callable(fingerprint_key) else load_fingerprint_key(fingerprint_key)
        found = detect(candidates, Fingerprinter(key), scanner) if candidates else []
        scans = [SecretScan(detections=tuple(d for ds in found[a:b] for d in ds)) for a, b in spans]
    except DetectorError as exc:
        log.warning("secret detection failed: %s", exc)
        scans = [SecretScan(error=f"the secret detector failed: {exc}") for _ in slots]
    for (rtype, key, pos), scan in zip(slots, scans, strict=True):
        items = inventory.items[rtype][key]
        items[pos] = items[pos].model_copy(update={"secret_scan": scan})
