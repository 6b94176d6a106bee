"""The demo runs a whole quarter-over-quarter organization assessment offline, through the real CLI."""

from __future__ import annotations

import re

from tests.helpers import load_assessment, run_cli


def test_demo_scans_an_emulated_organization_with_waivers_and_a_previous_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "demo", "--out", "auditpack-demo")

    assert result.code == 0, result.stderr
    assert "Evidence pack: auditpack-demo" in result.stderr
    assert re.search(r"Assessed \d+ controls in 2 accounts, 2 regions:", result.stderr)
    assessment = load_assessment(tmp_path / "auditpack-demo")
    assert len(assessment["scope"]["accounts"]) == 2 and assessment["scope"]["regions"] == ["us-east-1", "us-west-2"]
    assert {a for c in assessment["controls"] for a in c["accounts"]} == set(assessment["scope"]["accounts"])
    assert [w["state"] for w in assessment["waivers"]] == ["active", "expired", "stale"]
    assert any(f["status"] == "waived" for f in assessment["findings"])
    comparison = assessment["comparison"]
    # monitoring fixes GuardDuty and adds an unreviewed trail (2 failures); identity adds a console user without MFA
    assert len(comparison["resolved"]) == 1 and len(comparison["new_failures"]) == 3
    assert (tmp_path / "auditpack-demo-previous" / "assessment.json").is_file()

    err = result.stderr
    # the terminal is never blank for long: seeding and last quarter's scan show their phases too
    for phase in ("Starting the AWS emulator", "Seeding last quarter's emulated Organization",
                  "Last quarter: Collecting", "Last quarter: Writing report.pdf", "Seeding this quarter's changes"):
        assert phase in err, phase
    assert "could not be evaluated" not in err, "the emulator answers every call the demo makes"
    closing = err[err.index("Demo pack written to auditpack-demo."):]
    assert "Open auditpack-demo/report.pdf or auditpack-demo/report.html" in closing
    assert "The scan's exit code was 1: at least one control is not satisfied." in closing
    assert "auditpack verify auditpack-demo" in closing
