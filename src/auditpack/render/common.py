"""What the exchange formats (OSCAL, OCSF, ASFF, CSV) share: regions, times, safe details, text limits.

Kept in one place so that the four formats agree on the small decisions a GRC integration compares across
them: which region a global finding is filed under, how a date-time is written, which finding details may
leave the pack at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditpack.models import Assessment, Finding, Status, WaiverState

GLOBAL = "global"

def home_region(assessment: Assessment) -> str:
    """The scan's first region: IAM and other global services are called there, so global findings live there."""
    return assessment.scope.regions[0] if assessment.scope.regions else "us-east-1"


def real_region(finding: Finding, assessment: Assessment) -> str:
    """AWS has no region called "global"; OCSF and ASFF need a real one, so use the scan's home region."""
    return home_region(assessment) if finding.region == GLOBAL else finding.region


def partition_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"


def iso(moment: datetime) -> str:
    """An RFC 3339 date-time that always carries its zone (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def clip(text: str, limit: int) -> str:
    """Shorten to a field's limit, saying so with an ellipsis rather than failing the whole import."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nist_requirement(control_id: str) -> str:
    """The requirement name Security Hub and OCSF consumers use for NIST 800-53 Rev. 5 ("NIST.800-53.r5 IA-5(7)")."""
    return f"NIST.800-53.r5 {control_id}"


class Lazy:
    """A JSON array made one element at a time while it is written (see ``write_json``)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def write_json(path: Path, document: Any) -> Path:
    """``document`` as JSON, indented two spaces, with each ``Lazy`` array written one compact element per line.

    The exchange formats hold one element per finding: building them all and dumping them at once was the
    largest use of memory of a large scan (docs/performance.md). Here each element exists only while it is
    written, and the C encoder writes it (``indent`` would switch ``json`` to its much slower Python encoder).
    """
    with path.open("w", encoding="utf-8") as handle:
        _write_value(handle, document, "")
        handle.write("\n")
    return path


def _write_value(handle: Any, value: Any, indent: str) -> None:
    inner = indent + "  "
    if isinstance(value, Lazy):
        empty = True
        for item in value.items:
            handle.write(("[\n" if empty else ",\n") + inner + json.dumps(item, ensure_ascii=False))
            empty = False
        handle.write("[]" if empty else "\n" + indent + "]")
    elif isinstance(value, dict) and value:
        handle.write("{")
        for n, (key, item) in enumerate(value.items()):
            handle.write(("\n" if n == 0 else ",\n") + inner + json.dumps(key, ensure_ascii=False) + ": ")
            _write_value(handle, item, inner)
        handle.write("\n" + indent + "}")
    elif isinstance(value, list) and value and any(isinstance(v, dict | list | Lazy) for v in value):
        handle.write("[")
        for n, item in enumerate(value):
            handle.write(("\n" if n == 0 else ",\n") + inner)
            _write_value(handle, item, inner)
        handle.write("\n" + indent + "]")
    else:
        handle.write(json.dumps(value, ensure_ascii=False))


def with_waivers(assessment: Assessment) -> Assessment:
    """Waived findings with their waiver attached, taken from ``assessment.waivers`` when the finding lacks it.

    The exchange formats print the justification, approver and expiry next to each waived finding; the run's
    waiver report (``waivers[].finding_ids``) is the other place that link is recorded.
    """
    by_finding = {fid: status.waiver for status in assessment.waivers if status.state == WaiverState.ACTIVE
                  for fid in status.finding_ids}
    if not any(f.status == Status.WAIVED and f.waiver is None and f.id in by_finding for f in assessment.findings):
        return assessment
    findings = [replace(f, waiver=by_finding[f.id])
                if f.status == Status.WAIVED and f.waiver is None and f.id in by_finding else f
                for f in assessment.findings]
    return assessment.model_copy(update={"findings": findings})
