"""Unit tests of the logging and monitoring checks over plain fixtures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from auditpack.evaluate.evaluation import run_check
from auditpack.library.checks import load_checks
from auditpack.models import CollectionError, Status
from auditpack.resources.cloudtrail import Trail, management_coverage
from auditpack.resources.guardduty import Detector, GuardDutyFinding
from tests.helpers import inventory_of, run_check_on

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def trail(name="t", region="us-east-1", **kw) -> Trail:
    base = dict(arn=f"arn:aws:cloudtrail:{region}:123456789012:trail/{name}", name=name, account="123456789012",
                region=region, home_region=region, is_multi_region=True, is_logging=True, management_read=True,
                management_write=True, log_file_validation=True, kms_key_id="k",
                cloudwatch_log_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:ct",
                latest_cloudwatch_delivery=NOW - timedelta(hours=1), evidence=("evidence/x.json",))
    base.update(kw)
    return Trail(**base)


def trails_inventory(*trails: Trail):
    inv = inventory_of(types={"cloudtrail.trails": list(trails)})
    inv.collected_at = NOW
    return inv


def statuses(results) -> list[str]:
    return [r.status.value for r in results]


def test_multi_region_logging_passes_with_one_good_trail_among_bad():
    inv = trails_inventory(trail("good"), trail("local", is_multi_region=False))
    results = run_check_on("cloudtrail_multi_region_logging", inv)
    assert statuses(results) == ["pass"]
    assert "good" in results[0].message


def test_multi_region_logging_names_each_shortfall():
    inv = trails_inventory(trail("stopped", is_logging=False), trail("writes", management_read=False))
    [result] = run_check_on("cloudtrail_multi_region_logging", inv)
    assert result.status is Status.FAIL
    assert "stopped (us-east-1) is not logging" in result.message
    assert "does not record read management events" in result.message


def test_multi_region_logging_fails_without_trails():
    [result] = run_check_on("cloudtrail_multi_region_logging", trails_inventory())
    assert result.status is Status.FAIL and "no CloudTrail trail" in result.message


def test_a_trail_listed_in_two_regions_is_judged_once():
    inv = trails_inventory(trail("dup", region="us-east-1"))
    inv.add("cloudtrail.trails", "123456789012", "us-west-2", [trail("dup", region="us-east-1")])
    assert len(run_check_on("cloudtrail_log_file_validation", inv)) == 1


def test_log_validation_and_kms_are_per_trail():
    inv = trails_inventory(trail("a"), trail("b", log_file_validation=False, kms_key_id=None))
    assert sorted(statuses(run_check_on("cloudtrail_log_file_validation", inv))) == ["fail", "pass"]
    assert sorted(statuses(run_check_on("cloudtrail_kms_encrypted", inv))) == ["fail", "pass"]


def test_cloudwatch_delivery_age_limit_is_a_parameter():
    inv = trails_inventory(trail("late", latest_cloudwatch_delivery=NOW - timedelta(hours=30)))
    assert statuses(run_check_on("cloudtrail_cloudwatch_delivery", inv)) == ["fail"]
    assert statuses(run_check_on("cloudtrail_cloudwatch_delivery", inv, cloudwatch_delivery_max_hours=48)) == ["pass"]


def test_cloudwatch_delivery_never_delivered_and_not_configured_fail():
    inv = trails_inventory(trail("never", latest_cloudwatch_delivery=None),
                           trail("none", cloudwatch_log_group_arn=None))
    assert statuses(run_check_on("cloudtrail_cloudwatch_delivery", inv)) == ["fail", "fail"]


def test_event_selectors_basic_advanced_and_default():
    assert management_coverage({}) == (True, True)
    assert management_coverage({"EventSelectors": [{"ReadWriteType": "WriteOnly",
                                                    "IncludeManagementEvents": True}]}) == (False, True)
    assert management_coverage({"EventSelectors": [{"ReadWriteType": "All",
                                                    "IncludeManagementEvents": False}]}) == (False, False)
    mgmt = {"Field": "eventCategory", "Equals": ["Management"]}
    assert management_coverage({"AdvancedEventSelectors": [{"FieldSelectors": [mgmt]}]}) == (True, True)
    read_only = {"Field": "readOnly", "Equals": ["true"]}
    assert management_coverage({"AdvancedEventSelectors": [{"FieldSelectors": [mgmt, read_only]}]}) == (True, False)
    data = {"Field": "eventCategory", "Equals": ["Data"]}
    assert management_coverage({"AdvancedEventSelectors": [{"FieldSelectors": [data]}]}) == (False, False)


def detector(region: str, enabled: bool = True, detector_id: str = "d1") -> Detector:
    return Detector(arn=f"arn:aws:guardduty:{region}:123456789012:detector/{detector_id}", name=detector_id,
                    account="123456789012", region=region, detector_id=detector_id, enabled=enabled)


def test_guardduty_enabled_one_result_per_region():
    inv = inventory_of(types={"guardduty.detectors": [detector("us-east-1"),
                                                      detector("us-west-2", enabled=False)]},
                       regions=("us-east-1", "us-west-2", "eu-west-1"))
    results = {r.region: r.status.value for r in run_check_on("guardduty_enabled", inv)}
    assert results == {"us-east-1": "pass", "us-west-2": "fail", "eu-west-1": "fail"}


def test_guardduty_error_in_one_region_only_errors_that_region():
    inv = inventory_of(types={"guardduty.detectors": [detector("us-east-1")]})
    inv.fail("guardduty.detectors", CollectionError(
        account="123456789012", region="us-west-2", service="guardduty", operation="ListDetectors",
        error_code="AccessDeniedException", message="denied", resource_type="guardduty.detectors"))
    results = {r.region: r for r in run_check_on("guardduty_enabled", inv)}
    assert results["us-east-1"].status is Status.PASS
    assert results["us-west-2"].status is Status.ERROR
    assert ("ListDetectors could not be read in us-west-2: access was denied (AccessDeniedException)"
            in results["us-west-2"].message)


def gd_finding(age_days: int, severity: float = 8.0) -> GuardDutyFinding:
    created = NOW - timedelta(days=age_days)
    return GuardDutyFinding(arn=f"arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/f{age_days}",
                            name=f"f{age_days}", account="123456789012", region="us-east-1", detector_id="d1",
                            finding_type="UnauthorizedAccess:EC2/SSHBruteForce", severity=severity,
                            created_at=created)


def test_high_findings_older_than_the_limit_fail():
    inv = inventory_of(types={"guardduty.detectors": [detector("us-east-1")],
                              "guardduty.high_findings": [gd_finding(2), gd_finding(30)]}, regions=("us-east-1",))
    inv.collected_at = NOW
    [result] = run_check_on("guardduty_no_high_findings", inv)
    assert result.status is Status.FAIL
    assert "1 unarchived high-severity" in result.message
    [result] = run_check_on("guardduty_no_high_findings", inv, high_finding_max_age_days=60)
    assert result.status is Status.PASS


def test_a_check_that_raises_becomes_an_error_not_a_crash():
    def boom(view, params):
        raise RuntimeError("bug")

    broken = replace(load_checks()["cloudtrail_kms_encrypted"], func=boom)
    [result] = run_check(broken, trails_inventory(trail()), {})
    assert result.status is Status.ERROR and "RuntimeError" in result.message
