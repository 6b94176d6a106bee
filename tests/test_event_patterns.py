"""CloudWatch Logs filter patterns and EventBridge event patterns, on the patterns people write for these
alerts (CIS AWS Foundations' filters, AWS's EventBridge examples) and on the CloudTrail records they see."""

from __future__ import annotations

import pytest
from auditpack.checks.alerting import BENIGN, SAMPLES, api_call, as_event, console_sign_in

from auditpack.emulator.seeding.prevention import FILTERS, KEY_RULE, LOGGING_RULE, POLICY_RULE
from auditpack.resources.event_patterns import event_matches, filter_matches, filter_readable

ROOT_CALL = api_call("ec2.amazonaws.com", "RunInstances", "Root")
INVOKED = {**ROOT_CALL, "userIdentity": {**ROOT_CALL["userIdentity"], "invokedBy": "support.amazonaws.com"}}


@pytest.mark.parametrize(("pattern", "record", "expected"), [
    ('{ $.eventName = "CreateAccessKey" }', api_call("iam.amazonaws.com", "CreateAccessKey"), True),
    ("{ $.eventName = CreateAccessKey }", api_call("iam.amazonaws.com", "DeleteAccessKey"), False),
    ('{ $.eventName = "Delete*" }', api_call("iam.amazonaws.com", "DeleteAccessKey"), True),
    ('{ $.eventName = "*Key" }', api_call("iam.amazonaws.com", "DeleteAccessKey"), True),
    (FILTERS["root-activity"], ROOT_CALL, True),
    (FILTERS["root-activity"], console_sign_in("Root"), True),
    (FILTERS["root-activity"], INVOKED, False),  # a service acting for root is not root activity
    (FILTERS["root-activity"], BENIGN, False),
    ('{ ($.readOnly IS FALSE) && ($.eventSource = "iam.amazonaws.com") }', api_call("iam.amazonaws.com", "X"), True),
    ("{ $.userIdentity.sessionContext EXISTS }", BENIGN, False),
    ("{ $.errorCode IS NULL }", BENIGN, False),
    ("CreateAccessKey", api_call("iam.amazonaws.com", "CreateAccessKey"), True),
    ("CreateAccessKey -Root", ROOT_CALL, False),
    ("?StopLogging ?DeleteTrail", api_call("cloudtrail.amazonaws.com", "DeleteTrail"), True),
    ("", BENIGN, True),
    ("{ $.eventName = }", BENIGN, False),  # malformed: matches nothing
    ("[ip, user, ...]", BENIGN, False),  # space-delimited: not evaluated, so never a match
])
def test_filter_patterns(pattern, record, expected):
    assert filter_matches(pattern, record) is expected


def test_the_cis_filters_are_read_and_each_covers_its_alert():
    keys = {"iam-policy-changes": "iam_policy_changes", "access-key-creation": "access_key_creation",
            "root-activity": "root_activity", "logging-changes": "logging_changes"}
    for name, pattern in FILTERS.items():
        assert filter_readable(pattern)
        assert all(filter_matches(pattern, r) for r in SAMPLES[keys[name]]), name
        assert not filter_matches(pattern, BENIGN), name


@pytest.mark.parametrize(("pattern", "record", "expected"), [
    (KEY_RULE, api_call("iam.amazonaws.com", "CreateAccessKey"), True),
    (KEY_RULE, api_call("iam.amazonaws.com", "DeleteAccessKey"), False),
    (POLICY_RULE, api_call("iam.amazonaws.com", "AttachRolePolicy"), True),
    (LOGGING_RULE, api_call("guardduty.amazonaws.com", "DeleteDetector"), True),
    (LOGGING_RULE, api_call("cloudtrail.amazonaws.com", "LookupEvents"), False),
    ({"detail": {"userIdentity": {"type": ["Root"]}}}, console_sign_in("Root"), True),
    ({"detail-type": ["AWS Console Sign In via CloudTrail"]}, console_sign_in("IAMUser"), True),
    ({"detail": {"eventName": [{"anything-but": ["Describe", "List"]}]}}, BENIGN, True),
    ({"detail": {"eventName": [{"anything-but": {"prefix": "Describe"}}]}}, BENIGN, False),
    ({"detail": {"errorCode": [{"exists": False}]}}, BENIGN, True),
    ({"detail": {"eventName": [{"equals-ignore-case": "describeinstances"}]}}, BENIGN, True),
    ({"detail": {"eventName": [{"wildcard": "Describe*"}]}}, BENIGN, True),
    ({"detail": {"eventName": [{"cidr": "10.0.0.0/8"}]}}, BENIGN, False),  # not evaluated: never a match
    ({"$or": [{"source": ["aws.s3"]}, {"source": ["aws.ec2"]}]}, BENIGN, True),
    ({}, BENIGN, False),  # a scheduled rule matches no event
])
def test_event_patterns(pattern, record, expected):
    assert event_matches(pattern, as_event(record)) is expected
