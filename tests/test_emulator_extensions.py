"""The emulator's additions to moto, each exercised through boto3 as a scan would call them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from freezegun import freeze_time

from auditpack.emulator.extensions import EXTENSIONS

TESTS = __import__("pathlib").Path(__file__).parent


@pytest.mark.parametrize("name", EXTENSIONS.names())
def test_every_extension_says_why_and_is_tested(name):
    ext = EXTENSIONS[name]
    assert ext.reason and ext.operations and ext.service
    source = (TESTS / "test_emulator_extensions.py").read_text()
    assert all(op in source for op in ext.operations), f"{name}: test every operation it adds"


def test_guardduty_findings_are_created_filtered_and_read(aws):
    guardduty = boto3.client("guardduty", region_name="us-east-1")
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    with freeze_time(datetime.now(UTC) - timedelta(days=30)):
        guardduty.create_sample_findings(  # CreateSampleFindings
            DetectorId=detector, FindingTypes=["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
                                               "Recon:EC2/PortProbeUnprotectedPort"])
    high = guardduty.list_findings(  # ListFindings
        DetectorId=detector, FindingCriteria={"Criterion": {"severity": {"GreaterThanOrEqual": 7},
                                                            "service.archived": {"Equals": ["false"]}}})
    assert len(high["FindingIds"]) == 1
    every = guardduty.list_findings(DetectorId=detector)["FindingIds"]
    assert len(every) == 2
    [finding] = guardduty.get_findings(DetectorId=detector, FindingIds=high["FindingIds"])["Findings"]  # GetFindings
    assert finding["Severity"] == 8.0 and finding["Type"].startswith("UnauthorizedAccess:")
    created = datetime.fromisoformat(finding["CreatedAt"].replace("Z", "+00:00"))
    assert timedelta(days=29) < datetime.now(UTC) - created < timedelta(days=31), "the emulator's clock is used"
    other = boto3.client("guardduty", region_name="us-west-2").create_detector(Enable=True)["DetectorId"]
    assert boto3.client("guardduty", region_name="us-west-2").list_findings(DetectorId=other)["FindingIds"] == []


def test_a_reset_clears_what_an_extension_keeps(aws):
    guardduty = boto3.client("guardduty", region_name="us-east-1")
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    guardduty.create_sample_findings(DetectorId=detector, FindingTypes=["Policy:IAMUser/RootCredentialUsage"])
    aws.reset()
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    assert guardduty.list_findings(DetectorId=detector)["FindingIds"] == []
