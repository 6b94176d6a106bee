"""``findings.csv``: one row per finding for the audits that still run on spreadsheets.

Spreadsheets execute a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and tab or carriage
return can smuggle one in), and finding messages echo resource names an attacker may choose. Such cells are
prefixed with an apostrophe, the OWASP-recommended neutraliser, so they open as plain text.
Written as UTF-8 with a byte-order mark so that Excel reads non-ASCII names correctly.
"""

from __future__ import annotations

import csv
from pathlib import Path

from auditpack.models import Assessment, Finding
from auditpack.render import RenderContext, output
from auditpack.render.common import with_waivers
from auditpack.render.disclosure import shareable_details

FILENAME = "findings.csv"
COLUMNS = [
    "finding_id", "check_id", "control_ids", "status", "severity", "account", "region", "resource_arn",
    "resource_type", "resource_name", "message", "remediation", "waiver_justification", "waiver_expires",
    "evidence", "details",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def row(finding: Finding) -> list[str]:
    waiver = finding.waiver
    cells = [
        finding.id, finding.check_id, " ".join(finding.control_ids), finding.status.value, finding.severity.value,
        finding.account, finding.region, finding.resource.arn, finding.resource.type, finding.resource.name,
        finding.message, finding.remediation, waiver.justification if waiver else "", waiver.expires if waiver else "",
        " ".join(finding.evidence), "; ".join(f"{k}={v}" for k, v in shareable_details(finding.details).items()),
    ]
    return [neutralise(c) for c in cells]


@output("csv", description="findings.csv: one row per finding, safe to open in a spreadsheet",
        files=(FILENAME,), order=40)
def write_csv(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    assessment = with_waivers(assessment)
    path = ctx.pack / FILENAME
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(row(f) for f in assessment.findings)
    return [path]
