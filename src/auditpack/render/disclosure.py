"""Which finding details may leave ``assessment.json``: one rule for the report and every exchange format.

A check may put any fact in ``Finding.details``; the pack's own JSON keeps them all for programs. Anything
else a person or another system reads (the HTML and PDF report, OSCAL, OCSF, ASFF, CSV) gets only details
whose key says what they are *and* whose value has that shape: a masked form (``AKIA…MPLE``, ``…MPLE`` or eight stars),
a keyed fingerprint (``hmac-sha256:`` and 32 hex digits) or a plain number for a count or an age. A value
that merely claims to be masked is left out, so a check that forgets to mask cannot leak through a report
or into a SIEM. The secrets checks nest one entry per secret; those masked forms and fingerprints are lifted
into ``masked_values`` and ``fingerprints``, which is how a reader or a GRC system correlates one secret
across resources and runs.
"""

from __future__ import annotations

import re
from typing import Any

from auditpack.resources.secret_source import MASKED_SHAPE

FINGERPRINT = re.compile(r"^hmac-sha256:[0-9a-f]{32}$")
NUMERIC_SUFFIXES = ("_days", "_hours", "_count", "_age", "_percent")
MAX_LISTED = 20


def _is_masked_key(key: str) -> bool:
    return key == "masked" or key.endswith("_masked")


def _is_fingerprint_key(key: str) -> bool:
    return key == "fingerprint" or key.endswith("_fingerprint")


def _safe_value(key: str, value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and len(value) <= MAX_LISTED and all(_safe_value(key, v) for v in value)
    if _is_masked_key(key):
        return isinstance(value, str) and bool(MASKED_SHAPE.match(value))
    if _is_fingerprint_key(key):
        return isinstance(value, str) and bool(FINGERPRINT.match(value))
    if key.endswith(NUMERIC_SUFFIXES):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False


def _lift(node: Any, masked: dict[str, None], prints: dict[str, None]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                _lift(value, masked, prints)
            elif _is_masked_key(key) and _safe_value(key, value):
                masked[value] = None
            elif _is_fingerprint_key(key) and _safe_value(key, value):
                prints[value] = None
    elif isinstance(node, list):
        for item in node:
            _lift(item, masked, prints)


def shareable_details(details: dict[str, Any]) -> dict[str, str]:
    """The details that may be shown or exported, as text, keyed as in ``details`` (sorted), then the
    nested masked forms and fingerprints as ``masked_values`` and ``fingerprints``."""
    shown: dict[str, str] = {}
    nested: dict[str, Any] = {}
    for key in sorted(details):
        value = details[key]
        if _safe_value(key, value):
            shown[key] = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        elif isinstance(value, dict | list):
            nested[key] = value
    masked: dict[str, None] = {}
    prints: dict[str, None] = {}
    _lift(nested, masked, prints)
    if masked:
        shown.setdefault("masked_values", ", ".join(masked))
    if prints:
        shown.setdefault("fingerprints", ", ".join(prints))
    return shown
