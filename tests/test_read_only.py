"""A scan makes read calls only, and only calls the derived least-privilege policy allows."""

from __future__ import annotations

import json

from auditpack.emulator.seeding.monitoring import seed_logging
from auditpack.resources.base import READ_ONLY, iam_action
from tests.helpers import api_calls, run_cli


def test_scan_calls_only_what_the_policy_allows(aws, out_dir, capsys, monkeypatch):
    seed_logging("us-east-1")
    with api_calls(monkeypatch, name="service_name") as calls:
        run_cli(capsys, "scan", "--region", "us-east-1", "--region", "us-west-2", "--out", str(out_dir), "--quiet")
    made = [f"{service}:{operation}" for service, operation, _ in calls]

    policy = json.loads(run_cli(capsys, "permissions").stdout)
    allowed = {a.lower() for a in policy["Statement"][0]["Action"]}
    assert made
    for call in set(made):
        service, operation = call.split(":")
        assert READ_ONLY.match(operation), call
        assert iam_action(service, operation).lower() in allowed, f"{call} is not in the derived policy"


def test_write_calls_are_refused_by_the_collector_gate(tmp_path):
    import boto3
    import pytest

    from auditpack.collect.evidence import EvidenceRecorder
    from auditpack.collect.gate import Gate
    from auditpack.resources.base import WriteCallRefused

    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ctx = Gate(account="1", region="us-east-1", partition="aws",
               client_factory=lambda s, r: client, recorder=EvidenceRecorder(tmp_path))
    with pytest.raises(WriteCallRefused):
        ctx.call("cloudtrail", "delete_trail", Name="x")
