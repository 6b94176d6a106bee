"""Collectors of secret sources, over botocore's Stubber: pagination the emulator never exercises, and
evidence that keeps names but never values."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from botocore.stub import Stubber

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate, collector_gate
from auditpack.resources.awslambda import functions
from auditpack.resources.base import COLLECTORS
from auditpack.resources.ecs import task_definitions

ACCOUNT = "123456789012"
SECRET = "Stubbed-Passw0rd-value"


def context(tmp_path: Path, client, resource_type: str) -> Gate:
    """The gate the scheduler gives a job of this collector: its declared secret fields are redacted."""
    return collector_gate(COLLECTORS[resource_type], account=ACCOUNT, region="us-east-1", partition="aws",
                          client_factory=lambda service, region: client, recorder=EvidenceRecorder(tmp_path))


def _fn(name: str, version: str = "$LATEST", env: dict | None = None) -> dict:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    return {"FunctionName": name, "FunctionArn": arn if version == "$LATEST" else f"{arn}:{version}",
            "Version": version, "Environment": {"Variables": env or {}}}


def test_lambda_functions_and_versions_are_read_across_pages(tmp_path):
    client = boto3.client("lambda", region_name="us-east-1")
    with Stubber(client) as stub:
        # Every page of functions first, then each function's versions (run concurrently in a scan).
        stub.add_response("list_functions", {"Functions": [_fn("a")], "NextMarker": "m1"}, {})
        stub.add_response("list_functions", {"Functions": [_fn("b")]}, {"Marker": "m1"})
        stub.add_response("list_versions_by_function", {"Versions": [_fn("a")], "NextMarker": "v1"},
                          {"FunctionName": "a"})
        stub.add_response("list_versions_by_function", {"Versions": [_fn("a", "1", {"DB_PASSWORD": SECRET})]},
                          {"FunctionName": "a", "Marker": "v1"})
        stub.add_response("list_versions_by_function", {"Versions": [_fn("b", env={"X": "1"})]},
                          {"FunctionName": "b"})
        found = functions(context(tmp_path, client, "lambda.functions"))
        stub.assert_no_pending_responses()
    assert [f.name for f in found] == ["a", "b"]
    assert found[0].environments == {"$LATEST": {}, "1": {"DB_PASSWORD": SECRET}}
    assert SECRET not in repr(found[0])
    evidence = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert "DB_PASSWORD" in evidence and SECRET not in evidence


def test_ecs_active_task_definitions_are_read_across_pages(tmp_path):
    client = boto3.client("ecs", region_name="us-east-1")
    arns = [f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/app:{n}" for n in (1, 2)]
    with Stubber(client) as stub:
        stub.add_response("list_task_definitions", {"taskDefinitionArns": [arns[0]], "nextToken": "t"},
                          {"status": "ACTIVE"})
        for n, arn in enumerate(arns, start=1):
            if n == 2:
                stub.add_response("list_task_definitions", {"taskDefinitionArns": [arns[1]]},
                                  {"status": "ACTIVE", "nextToken": "t"})
            stub.add_response("describe_task_definition", {"taskDefinition": {
                "taskDefinitionArn": arn, "family": "app", "revision": n, "containerDefinitions": [{
                    "name": "web", "environment": [{"name": "DB_PASSWORD", "value": SECRET}],
                    "secrets": [{"name": "API_KEY", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/k"}]}]}},
                {"taskDefinition": arn})
        found = task_definitions(context(tmp_path, client, "ecs.task_definitions"))
        stub.assert_no_pending_responses()
    assert [t.name for t in found] == ["app:1", "app:2"]
    assert found[1].environments == {"web": {"DB_PASSWORD": SECRET}}
    for path in tmp_path.rglob("DescribeTaskDefinition*.json"):
        body = json.loads(path.read_text())
        env = body["response"]["taskDefinition"]["containerDefinitions"][0]["environment"]
        assert env == [{"name": "DB_PASSWORD", "value": "[redacted]"}]


def test_per_resource_calls_fan_out_and_keep_their_order(tmp_path):
    """ctx.each runs per-resource work on the scheduler's fan-out pool; results stay in the items' order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    seen: set[str] = set()
    barrier = threading.Barrier(3, timeout=5)  # passes only if three items really run at once

    def work(item: int) -> int:
        seen.add(threading.current_thread().name)
        barrier.wait()
        return item * 10

    with ThreadPoolExecutor(3, thread_name_prefix="fan") as pool:
        ctx = Gate(account=ACCOUNT, region="us-east-1", partition="aws", client_factory=lambda s, r: None,
                   recorder=EvidenceRecorder(tmp_path), fan_out=lambda fn, items: list(pool.map(fn, items)))
        assert ctx.each(work, [1, 2, 3]) == [10, 20, 30]
    assert len(seen) == 3
