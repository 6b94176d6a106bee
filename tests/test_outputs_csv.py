"""findings.csv: one row per finding, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv

from auditpack.library.config import Config
from auditpack.render import RenderContext
from auditpack.render.formats.csv import COLUMNS, FILENAME, neutralise, write_csv
from tests.formats_support import FINGERPRINT, SEEDED_SECRET, synthetic_assessment


def test_one_row_per_finding_with_the_columns_a_reviewer_needs(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    (path,) = write_csv(assessment, RenderContext(pack=tmp_path, config=Config()))
    assert path.name == FILENAME
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMNS
    assert [r["finding_id"] for r in rows] == [f.id for f in assessment.findings]
    first = rows[0]
    assert first["control_ids"] == "AU-2 AU-12"
    assert (first["status"], first["severity"], first["region"], first["account"]) == (
        "fail", "high", "global", "123456789012")
    assert first["resource_arn"] == "arn:aws:iam::123456789012:root"
    assert first["remediation"] == "Fix 123456789012."
    assert first["details"] == f"fingerprint={FINGERPRINT}; masked=AKIA…MPLE"
    waived = next(r for r in rows if r["status"] == "waived")
    assert (waived["waiver_justification"], waived["waiver_expires"]) == ("Legacy trail", "2027-01-31")
    assert SEEDED_SECRET not in path.read_text(encoding="utf-8-sig")


def test_formula_cells_are_neutralised(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    (path,) = write_csv(assessment, RenderContext(pack=tmp_path, config=Config()))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        messages = [r["message"] for r in csv.DictReader(handle)]
    # The synthetic messages start with =, -, @, + and a tab: each must open as text.
    assert messages == ["'=cmd|'/C calc'!A0 no multi-region trail", "'-Log file validation is off.",
                        "'@Log file validation is off.", "'+GuardDuty is on.",
                        "'\tCould not be evaluated: guardduty:list_findings failed.",
                        "No Lambda function in us-east-1."]
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutralise(text) == "'" + text
    assert neutralise("plain text") == "plain text"
