"""A scan makes read calls only, and only calls the derived least-privilege policy allows."""

from __future__ import annotations

import json

import botocore.client

from auditpack.collect.base import READ_ONLY
from auditpack.seeding.monitoring import seed_logging
from tests.helpers import run_cli


def test_scan_calls_only_what_the_policy_allows(aws, out_dir, capsys, monkeypatch):
    seed_logging("us-east-1")
    made: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        made.append(f"{self.meta.service_model.signing_name}:{operation_name}")
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    run_cli(capsys, "scan", "--region", "us-east-1", "--region", "us-west-2", "--out", str(out_dir), "--quiet")
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", real)

    policy = json.loads(run_cli(capsys, "permissions").stdout)
    allowed = {a.lower() for a in policy["Statement"][0]["Action"]}
    assert made
    for call in set(made):
        service, operation = call.split(":")
        assert READ_ONLY.match(operation), call
        assert f"{service}:{operation}".lower() in allowed, f"{call} is not in the derived policy"


def test_write_calls_are_refused_by_the_collector_gate(tmp_path):
    import boto3
    import pytest

    from auditpack.collect.base import CollectContext, WriteCallRefused
    from auditpack.collect.evidence import EvidenceRecorder

    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ctx = CollectContext(account="1", region="us-east-1", partition="aws",
                         client_factory=lambda s, r: client, recorder=EvidenceRecorder(tmp_path))
    with pytest.raises(WriteCallRefused):
        ctx.call("cloudtrail", "delete_trail", Name="x")
