"""The collect stage reaches S3 Control on a custom endpoint (the emulator on loopback) while keeping AWS's
account host prefix on AWS's own endpoints."""

from __future__ import annotations

import contextlib

import boto3
from botocore.awsrequest import AWSResponse

from auditpack.collect.session import AccountSession

ACCOUNT = "123456789012"
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def test_s3_control_reaches_a_custom_endpoint_through_the_scan_clients(aws):
    session = AccountSession(boto3.session.Session(), ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")
    control = session.client("s3control", "us-east-1")
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON)
    assert control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"] == ALL_ON
    plain = boto3.client("s3control", region_name="us-east-1")
    sent: list[str] = []
    plain.meta.events.register("before-send", lambda request, **_: sent.append(request.url) or AWSResponse(
        request.url, 500, {}, None))
    with contextlib.suppress(Exception):  # only the URL it tried matters
        plain.get_public_access_block(AccountId=ACCOUNT)
    assert sent and sent[0].split("//", 1)[1].startswith(f"{ACCOUNT}."), "botocore's own behaviour, unfixed"


def test_aws_endpoints_keep_the_account_host_prefix(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    session = AccountSession(boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y",
                                                   region_name="us-east-1"), ACCOUNT, "arn")
    control = session.client("s3control", "us-east-1")
    sent: list[str] = []
    control.meta.events.register("before-send", lambda request, **_: sent.append(request.url) or AWSResponse(
        request.url, 500, {}, None))
    with contextlib.suppress(Exception):
        control.get_public_access_block(AccountId=ACCOUNT)
    assert sent[0].startswith(f"https://{ACCOUNT}.s3-control.us-east-1.amazonaws.com/")
