"""Waivers as pure rules, their validation in the config, and the shipped sample config."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditpack.evaluate.assessment import control_status
from auditpack.evaluate.waivers import apply_waivers
from auditpack.models import ControlStatus, Finding, ResourceRef, Severity, Status, Waiver, WaiverState
from tests.helpers import run_cli

TODAY = dt.date(2026, 11, 23)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "auditpack.yaml"


def finding(check_id: str, arn: str, status: Status = Status.FAIL, region: str = "us-east-1") -> Finding:
    return Finding(id=Finding.stable_id(check_id, arn, region), check_id=check_id, status=status,
                   severity=Severity.MEDIUM, resource=ResourceRef(arn=arn, type="AWS::CloudTrail::Trail", name="t"),
                   region=region, account=arn.split(":")[4], control_ids=["AU-9"], message="m", remediation="r")


def waiver(check_id: str, resource: str, expires: str = "2027-01-01") -> Waiver:
    return Waiver(check_id=check_id, resource=resource, justification="j", approved_by="a", expires=expires)


TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/legacy-audit"


def test_a_matching_failure_is_waived_and_no_longer_fails_its_control():
    rule = waiver("cloudtrail_log_file_validation", "arn:aws:cloudtrail:*:*:trail/legacy-*")
    findings, states = apply_waivers([finding("cloudtrail_log_file_validation", TRAIL)], [rule], TODAY)
    assert findings[0].status == Status.WAIVED and findings[0].waiver is not None
    assert states[0].state == WaiverState.ACTIVE and states[0].finding_ids == [findings[0].id]
    assert control_status(findings) == ControlStatus.SATISFIED


def test_a_waiver_holds_through_its_expiry_day_and_not_after():
    rule = waiver("cloudtrail_log_file_validation", TRAIL, expires="2026-11-23")
    on_the_day, _ = apply_waivers([finding("cloudtrail_log_file_validation", TRAIL)], [rule], TODAY)
    day_after, states = apply_waivers([finding("cloudtrail_log_file_validation", TRAIL)], [rule],
                                      TODAY + dt.timedelta(days=1))
    assert on_the_day[0].status == Status.WAIVED
    assert day_after[0].status == Status.FAIL and day_after[0].waiver is None
    assert states[0].state == WaiverState.EXPIRED and states[0].finding_ids == [day_after[0].id]


def test_other_checks_passes_and_errors_are_never_waived_and_unmatched_waivers_are_stale():
    findings = [finding("cloudtrail_kms_encrypted", TRAIL), finding("cloudtrail_log_file_validation", TRAIL,
                                                                     Status.PASS),
                finding("cloudtrail_log_file_validation", TRAIL, Status.ERROR, region="us-west-2")]
    out, states = apply_waivers(findings, [waiver("cloudtrail_log_file_validation", "*")], TODAY)
    assert [f.status for f in out] == [Status.FAIL, Status.PASS, Status.ERROR]
    assert states[0].state == WaiverState.STALE


def test_glob_is_case_sensitive_and_the_first_waiver_in_force_wins():
    first = waiver("cloudtrail_log_file_validation", "arn:aws:cloudtrail:*:111111111111:trail/*")
    second = waiver("cloudtrail_log_file_validation", "*")
    upper = waiver("cloudtrail_log_file_validation", "arn:aws:cloudtrail:*:111111111111:trail/LEGACY-*")
    out, states = apply_waivers([finding("cloudtrail_log_file_validation", TRAIL)], [upper, first, second], TODAY)
    assert out[0].waiver == first
    assert [s.state for s in states] == [WaiverState.STALE, WaiverState.ACTIVE, WaiverState.ACTIVE]


def test_waiver_problems_are_reported_with_field_paths(tmp_path, capsys):
    config = tmp_path / "auditpack.yaml"
    config.write_text("""waivers:
  - check_id: cloudtrail_log_validation
    resource: "arn:aws:cloudtrail:*:*:trail/[abc"
    justification: j
    approved_by: a
    expires: "2026-13-01"
  - check_id: guardduty_enabled
    resource: legacy-trail
    justification: j
    approved_by: a
    expires: 2026-12-01
""")
    result = run_cli(capsys, "validate", "--config", str(config))
    assert result.code == 2
    assert f"{config}:2: waivers[0].check_id: unknown check id 'cloudtrail_log_validation'" in result.stderr
    assert "waivers[0].resource: 'arn:aws:cloudtrail:*:*:trail/[abc' has an unclosed '['" in result.stderr
    assert "waivers[0].expires: '2026-13-01' is not a valid date" in result.stderr
    assert "waivers[1].resource: 'legacy-trail' is not an ARN glob" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_impossible_yaml_date_names_its_line(tmp_path, capsys):
    config = tmp_path / "auditpack.yaml"
    config.write_text("waivers:\n  - check_id: guardduty_enabled\n    resource: '*'\n    justification: j\n"
                      "    approved_by: a\n    expires: 2026-02-30\n")
    result = run_cli(capsys, "validate", "--config", str(config))
    assert result.code == 2
    assert f"{config}:6: waivers[0].expires: '2026-02-30' is not a valid date (YYYY-MM-DD)" in result.stderr


def test_the_shipped_sample_config_is_valid(capsys):
    result = run_cli(capsys, "validate", "--config", str(EXAMPLE))
    assert result.code == 0, result.stderr
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    config = load_library(None, EXAMPLE, formats=FORMATS.names()).config
    assert config.waivers and config.scope.org and config.organization.name
