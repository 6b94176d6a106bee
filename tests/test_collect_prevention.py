"""The collect stage reaches S3 Control on a custom endpoint (the emulator on loopback) while keeping AWS's
account host prefix on AWS's own endpoints; and the bucket collector reads each bucket in its own region."""

from __future__ import annotations

import contextlib

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate
from auditpack.collect.session import AccountSession
from auditpack.resources import s3 as s3_collect

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


def test_buckets_are_read_in_their_region_and_outside_the_scope_are_skipped(tmp_path):
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ctx = Gate(account=ACCOUNT, region="global", partition="aws", client_factory=lambda s, r: client,
               recorder=EvidenceRecorder(tmp_path), regions=("us-east-1",))
    stub = Stubber(client)
    stub.add_response("list_buckets", {"Buckets": [{"Name": "here", "BucketRegion": "us-east-1"},
                                                   {"Name": "elsewhere", "BucketRegion": "eu-west-1"},
                                                   {"Name": "old-listing"}]})
    stub.add_response("get_bucket_policy", {"Policy": '{"Statement": []}'}, {"Bucket": "here"})
    stub.add_response("get_bucket_acl", {"Grants": [{"Grantee": {
        "Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]},
        {"Bucket": "here"})
    stub.add_response("get_public_access_block", {"PublicAccessBlockConfiguration": ALL_ON}, {"Bucket": "here"})
    stub.add_response("get_bucket_location", {"LocationConstraint": "ap-south-1"}, {"Bucket": "old-listing"})
    with stub:
        found = s3_collect.buckets(ctx)
    assert [(b.name, b.region) for b in found] == [("here", "us-east-1")]
    assert found[0].public_acl_grants[0].grantee == "everyone" and found[0].block.settings["IgnorePublicAcls"]
