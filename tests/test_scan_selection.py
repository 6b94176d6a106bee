"""Narrowing a scan (--check, --exclude-check, --severity, --service) and what a run tells its user: the
phases as they happen, the closing summary, and --summary-json for CI; scans of the emulator through boto3."""

from __future__ import annotations

import json

import pytest

from auditpack.emulator.seeding.identity import seed_identity
from auditpack.library.checks import load_checks
from auditpack.library.validation import load_library
from auditpack.models import Selection, Severity
from auditpack.render import FORMATS
from tests.helpers import load_assessment, run_cli

REGION = ["--region", "us-east-1"]


def library():
    return load_library(None, None, formats=FORMATS.names())


def test_narrowing_keeps_exactly_the_checks_every_filter_allows():
    full = library()
    checks = load_checks()
    for severity in Severity:
        for service in sorted({s for spec in full.checks.values() for s in spec.services}):
            selection = Selection(severity=severity, services=[service])
            expected = {c for c, spec in full.checks.items()
                        if spec.severity.rank >= severity.rank and service in spec.services}
            if not expected:
                with pytest.raises(Exception, match="no check is left"):
                    full.narrow(selection)
                continue
            narrowed = full.narrow(selection)
            assert set(narrowed.checks) == expected
            for control in narrowed.controls.values():
                assert control.checks and set(control.checks) <= expected
                assert set(control.checks) == set(full.controls[control.id].checks) & expected
            assert narrowed.selection == selection
    some = sorted(full.checks)[:3]
    assert set(full.narrow(Selection(checks=some)).checks) == set(some)
    assert not set(full.narrow(Selection(exclude_checks=some)).checks) & set(some)
    assert checks  # the registry is loaded


@pytest.mark.parametrize(("flag", "value", "hint"), [
    ("--check", "iam_root_mfaa", "did you mean iam_root_mfa?"),
    ("--exclude-check", "lambda_env_no_aws_key", "did you mean lambda_env_no_aws_keys?"),
    ("--service", "lamda", "did you mean lambda?"),
])
def test_an_unknown_name_stops_the_scan_before_any_call_with_a_suggestion(capsys, tmp_path, flag, value, hint):
    result = run_cli(capsys, "scan", flag, value, "--out", str(tmp_path / "pack"))
    assert result.code == 2 and hint in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "pack").exists()


def test_a_narrowed_scan_runs_only_what_was_selected_and_records_it(aws, tmp_path, capsys):
    seed_identity("us-east-1")
    out = tmp_path / "pack"
    result = run_cli(capsys, "scan", "--out", str(out), *REGION, "--format", "json,html",
                     "--severity", "high", "--service", "iam", "--exclude-check", "iam_root_mfa")
    assert result.code in (0, 1), result.stderr
    assessment = load_assessment(out)
    expected = {c for c, spec in library().checks.items()
                if spec.severity.rank >= Severity.HIGH.rank and "iam" in spec.services} - {"iam_root_mfa"}
    assert {f["check_id"] for f in assessment["findings"]} == expected
    assert {c["id"] for c in assessment["checks"]} == expected
    assert all(set(c["checks"]) <= expected for c in assessment["controls"])
    assert assessment["scope"]["selection"] == {"controls": [], "checks": [], "exclude_checks": ["iam_root_mfa"],
                                                "severity": "high", "services": ["iam"]}
    assert "narrowed to" in result.stderr
    html = (out / "report.html").read_text()
    assert "Narrowed to" in html and "severity high and above" in html


def test_the_terminal_names_each_phase_and_the_summary_says_what_to_do_next(aws, tmp_path, capsys):
    seed_identity("us-east-1")
    out = tmp_path / "pack"
    result = run_cli(capsys, "scan", "--out", str(out), *REGION, "--format", "json,html,pdf",
                     "--control", "IA-2(1)", "--control", "IA-5", "--summary-json", str(tmp_path / "s.json"))
    err = result.stderr
    phases = ["Planning...", "Collecting...", "Judging secrets...", "Evaluating...", "Writing assessment.json...",
              "Writing report.html...", "Writing report.pdf...", "Laying out report.pdf...", "Sealing..."]
    positions = [err.index(p) for p in phases]
    assert positions == sorted(positions), err
    assert f"PDF report: {out / 'report.pdf'}" in err and f"HTML report: {out / 'report.html'}" in err
    assert "Most severe failures:" in err and "iam_user_console_mfa" in err
    assert f"Exit code {result.code}: " in err and " Took " in err
    assert "No organization or system name is configured" in err and '"Not set"' in err
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["exit_code"] == result.code == 1
    assert summary["reports"] == {"pdf": str(out / "report.pdf"), "html": str(out / "report.html")}
    assert summary["controls"]["not-satisfied"] >= 1
    assert summary["run_id"] == load_assessment(out)["run"]["id"]
    ranks = [Severity(f["severity"]).rank for f in summary["top_failures"]]
    assert len(ranks) == 3 and ranks == sorted(ranks, reverse=True)
    failures = [f for f in load_assessment(out)["findings"] if f["status"] == "fail"]
    assert ranks[0] == max(Severity(f["severity"]).rank for f in failures)


def test_summary_json_to_stdout_is_the_only_thing_on_stdout(aws, tmp_path, capsys):
    result = run_cli(capsys, "scan", "--out", str(tmp_path / "pack"), *REGION, "--format", "json",
                     "--control", "AU-9", "--summary-json", "-", "--quiet")
    summary = json.loads(result.stdout)
    assert summary["exit_code"] == result.code
    assert summary["reports"] == {} and summary["pack"] == str(tmp_path / "pack")
    assert result.stderr == ""


def test_what_could_not_be_evaluated_points_at_the_report_section(aws, tmp_path, capsys, monkeypatch):
    """A region botocore knows but the emulator refuses to answer for makes every regional check an error."""
    out = tmp_path / "pack"
    monkeypatch.setenv("AWS_ENDPOINT_URL_GUARDDUTY", "http://127.0.0.1:9")  # nothing listens on the discard port
    config = tmp_path / "c.yaml"
    config.write_text("collection:\n  max_attempts: 1\n  connect_timeout: 1\n  read_timeout: 1\n")
    # GuardDuty's checks only: IR-4 also cites the alert checks, which an empty account fails (exit 1).
    result = run_cli(capsys, "scan", "--out", str(out), *REGION, "--format", "json,pdf", "--control", "IR-4",
                     "--check", "guardduty_enabled", "--check", "guardduty_no_high_findings", "--config", str(config))
    assert result.code == 3, result.stderr
    assert f"listed in section 'What could not be assessed' of {out / 'report.pdf'}" in result.stderr
    assert "assessment.json" not in result.stderr.split("could not be evaluated")[1].splitlines()[0]


def test_a_retried_call_is_announced_with_its_reason(aws, tmp_path, capsys, monkeypatch):
    from tests.faultproxy import FaultPlan, FaultProxy, Rule

    with FaultProxy(aws.endpoint, FaultPlan([Rule("throttle", "iam:GetAccountSummary", first=1)])) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        result = run_cli(capsys, "scan", "--out", str(tmp_path / "pack"), *REGION, "--format", "json",
                         "--check", "iam_root_mfa")
    assert result.code in (0, 1), result.stderr
    assert "retrying iam GetAccountSummary after Throttling (HTTP 400): attempt 2 of" in result.stderr
