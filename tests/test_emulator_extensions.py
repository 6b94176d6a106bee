"""The emulator's additions to moto, each exercised through boto3 as a scan would call them."""

from __future__ import annotations

import json
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


def test_get_access_key_info_names_the_account_the_key_id_encodes(aws):
    from auditpack.emulator.seeding.organization import create_organization, in_account

    _management, members = create_organization("workload")
    with in_account(members["workload"]):
        iam = boto3.client("iam")
        iam.create_user(UserName="deployer")
        key = iam.create_access_key(UserName="deployer")["AccessKey"]["AccessKeyId"]
    info = boto3.client("sts", region_name="us-east-1").get_access_key_info(AccessKeyId=key)  # GetAccessKeyInfo
    assert info["Account"] == members["workload"], "decoded from the id, not the caller's account"
    from auditpack.emulator.extensions.sts import account_of_key

    assert account_of_key("AKIAIOSFODNN7EXAMPLE") == "581039954779"  # as AWS decodes its documentation key
    assert account_of_key("AKIA0189") is None


def test_quarantine_policies_attach_and_only_attached_aws_policies_are_listed(aws):
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="exposed")
    arn = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"
    iam.attach_user_policy(UserName="exposed", PolicyArn=arn)  # AttachUserPolicy
    details = iam.get_account_authorization_details(  # GetAccountAuthorizationDetails
        Filter=["User", "AWSManagedPolicy", "LocalManagedPolicy"])
    assert [p["Arn"] for p in details["Policies"]] == [arn], "AWS lists the AWS managed policies in use only"
    [version] = [v for v in details["Policies"][0]["PolicyVersionList"] if v["IsDefaultVersion"]]
    assert "iam:CreateAccessKey" in str(version["Document"])


def test_lookup_events_answers_from_seeded_history_like_aws(aws):
    from auditpack.emulator.seeding.activity import Caller, record, seed_history

    account = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    now = datetime.now(UTC)
    leaked = Caller(account, "ci", "AKIAQAAAAAAAAAAAAAAA", "198.51.100.7", "python-requests/2.31")
    other = Caller(account, "ops", "AKIAQAAAAAAAAAAAAAAB", "203.0.113.10", "aws-cli/2.15")
    seed_history([record(leaked, "GetCallerIdentity", source="sts", region="us-east-1",
                         when=now - timedelta(hours=n), read_only=True) for n in range(1, 61)])
    seed_history([record(other, "CreateUser", source="iam", region="us-east-1", when=now - timedelta(days=2),
                         request={"userName": "x"}),
                  record(leaked, "RunInstances", source="ec2", region="ap-southeast-1", when=now - timedelta(days=1)),
                  record(leaked, "CreateUser", source="iam", region="us-east-1", when=now - timedelta(days=100))])
    trail = boto3.client("cloudtrail", region_name="us-east-1")
    by_key = [{"AttributeKey": "AccessKeyId", "AttributeValue": leaked.access_key_id}]
    first = trail.lookup_events(LookupAttributes=by_key)  # LookupEvents
    assert len(first["Events"]) == 50 and first["NextToken"]
    times = [e["EventTime"] for e in first["Events"]]
    assert times == sorted(times, reverse=True), "newest first"
    rest = trail.lookup_events(LookupAttributes=by_key, NextToken=first["NextToken"])
    assert len(rest["Events"]) == 10 and "NextToken" not in rest, "the 100-day-old event is past the history"
    event = json.loads(first["Events"][0]["CloudTrailEvent"])
    assert event["sourceIPAddress"] == "198.51.100.7" and event["userIdentity"]["userName"] == "ci"
    named = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    assert [e["Username"] for e in named["Events"]] == ["ops"]
    window = trail.lookup_events(StartTime=now - timedelta(hours=3), EndTime=now - timedelta(minutes=30))
    assert len(window["Events"]) == 2
    elsewhere = boto3.client("cloudtrail", region_name="ap-southeast-1").lookup_events(LookupAttributes=by_key)
    assert [e["EventName"] for e in elsewhere["Events"]] == ["RunInstances"], "each region has its own history"
    with pytest.raises(trail.exceptions.InvalidLookupAttributesException):
        trail.lookup_events(LookupAttributes=[*by_key, {"AttributeKey": "EventName", "AttributeValue": "x"}])
    aws.reset()
    assert trail.lookup_events(LookupAttributes=by_key)["Events"] == []


def test_a_users_permissions_boundary_is_kept_and_listed(aws):
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="bounded")
    cap = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="cap", PolicyDocument=json.dumps(cap))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=arn)  # PutUserPermissionsBoundary
    [user] = iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                           "PermissionsBoundaryArn": arn}
