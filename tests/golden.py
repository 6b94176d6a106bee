"""Normalizing a pack's machine-readable outputs for golden comparison.

What legitimately differs between two runs of the same seeded demo is taken out, and nothing else:
- run ids and the other random (version 4) UUIDs (OSCAL's links between them are checked by the OSCAL
  tests; here they would only follow the order in which concurrent calls finished);
- dates and times (every timestamp, and the dates in messages that are relative to today);
- the sequence number of an evidence file, which follows the order concurrent calls happened to finish;
- SHA-256 digests (of evidence files, which record when each call was made).
Everything else (wording, order, counts, masked values, fingerprints, stable UUIDs) must match byte for byte.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"
UPDATE_ENV = "AUDITPACK_UPDATE_GOLDEN"  # set to 1 to rewrite the golden files from this code

UUID4 = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b")
STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}| UTC)?)?")
EPOCH_MILLIS = re.compile(r"(?<![\w.])1[7-9]\d{11}(?![\w.])")
EVIDENCE_NUMBER = re.compile(r"(evidence/[^\"\s,]+?)-\d{4}\.json")
SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def normalize(text: str) -> str:
    text = UUID4.sub("<uuid4>", text)
    text = STAMP.sub("<time>", text)
    text = EPOCH_MILLIS.sub("<millis>", text)
    text = SHA256.sub("<sha256>", text)
    return EVIDENCE_NUMBER.sub(r"\1-NNNN.json", text)


def compare(name: str, actual: str) -> None:
    """Assert ``actual`` (normalized) equals ``golden/<name>``; with the update variable set, rewrite it."""
    path = GOLDEN / name
    normalized = normalize(actual)
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(normalized, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    if normalized != expected:
        import difflib

        diff = "".join(list(difflib.unified_diff(expected.splitlines(True), normalized.splitlines(True),
                                                 f"golden/{name}", "this run", n=2))[:80])
        raise AssertionError(f"{name} differs from its golden file ({UPDATE_ENV}=1 rewrites it):\n{diff}")
