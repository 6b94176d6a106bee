"""Redaction follows what was found: a value the detector judged a secret is scrubbed from every evidence file,
whatever the operation that recorded it, and the files stay valid JSON with their digests kept true."""

from __future__ import annotations

import base64
import hashlib
import json

import boto3

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.resources.inventory import Inventory
from auditpack.resources.secret_source import Category, Detection, SecretScan
from auditpack.secrets.analysis import found_secrets
from tests.helpers import load_assessment, run_cli
from tests.secretsearch import assert_never_written


def test_every_form_of_a_found_value_is_scrubbed_and_digests_follow(tmp_path):
    recorder = EvidenceRecorder(tmp_path)
    secret = 'p"w/é-Secr3t'
    encoded = base64.b64encode(secret.encode()).decode()
    tagged = recorder.record("1", "us-east-1", "ec2", "DescribeInstances", {},
                             {"Tags": [{"Key": secret, "Value": f"pre-{secret}-post"}], "Blob": encoded})
    clean = recorder.record("1", "us-east-1", "ec2", "DescribeVpcs", {}, {"Vpcs": ["vpc-1"]})
    before = recorder.files[clean].sha256

    assert recorder.scrub([secret, ""]) == [tagged]

    text = (tmp_path / tagged).read_text()
    document = json.loads(text)
    assert document["response"] == {"Tags": [{"Key": "[redacted]", "Value": "pre-[redacted]-post"}],
                                    "Blob": "[redacted]"}
    assert secret not in text and json.dumps(secret)[1:-1] not in text and encoded not in text
    assert recorder.files[tagged].sha256 == hashlib.sha256((tmp_path / tagged).read_bytes()).hexdigest()
    assert recorder.files[tagged].size == (tmp_path / tagged).stat().st_size
    assert recorder.files[clean].sha256 == before


def test_only_leaks_are_scrubbed_not_documentation_examples():
    def detection(secret: str, informational: bool = False) -> Detection:
        return Detection(field="f", kind="a secret", category=Category.CREDENTIAL, detector="auditpack:t",
                         masked="****", fingerprint="hmac", informational=informational, secret=secret)

    inventory = Inventory(accounts=["1"], regions=["us-east-1"])
    inventory.verdicts[("t", "arn:1")] = SecretScan(detections=(detection("leaked"), detection("AKIA", True)))
    assert found_secrets(inventory) == {"leaked"}


def test_a_secret_found_in_one_place_is_scrubbed_from_a_response_no_collector_declares(aws, out_dir, capsys):
    """The password leaks in a Lambda environment (read and judged) and also sits in an instance's tag, which
    DescribeInstances returns and no field-based rule redacts: the pack holds it nowhere."""
    from tests.secretsearch import lambda_environment

    password = "Tag-And-Env-Passw0rd-41"
    lambda_environment("us-east-1", "env-leak", password)
    boto3.client("ec2", region_name="us-east-1").run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "tagged"},
                                                                 {"Key": "db_password", "Value": password}]}])

    result = run_cli(capsys, "scan", "--region", "us-east-1", "--control", "IA-5(7)", "--out", str(out_dir),
                     "--format", "json,oscal,ocsf,asff,csv,html")

    assert result.code == 1, result.stderr
    found = {f["resource"]["name"]: f["status"] for f in load_assessment(out_dir)["findings"]
             if f["check_id"] == "lambda_env_no_secrets"}
    assert found["env-leak"] == "fail"
    instances = [p for p in (out_dir / "evidence").rglob("DescribeInstances-*.json")]
    assert instances and any("[redacted]" in p.read_text() for p in instances)
    assert_never_written([password], out_dir, texts=[result.stdout, result.stderr])


def test_redaction_copies_only_the_path_to_a_secret_and_never_changes_the_response():
    """A large response is recorded while others are in flight: what has no secret in it is not copied."""
    from auditpack.collect.redaction import REDACTED, redactor

    clean = [{"FunctionName": f"fn-{i}", "Tags": {"team": "a"}} for i in range(3)]
    secret = {"FunctionName": "leaky", "Environment": {"Variables": {"DB_PASSWORD": "hunter2-planted"}}}
    response = {"Functions": [*clean, secret], "NextMarker": None}
    redacted = redactor({"Variables"})(response)
    assert redacted["Functions"][3]["Environment"]["Variables"] == {"DB_PASSWORD": REDACTED}
    assert secret["Environment"]["Variables"] == {"DB_PASSWORD": "hunter2-planted"}, "the response is unchanged"
    assert all(a is b for a, b in zip(redacted["Functions"][:3], clean, strict=True)), "no copy of the clean items"
    assert redacted is not response and redacted["Functions"] is not response["Functions"]
    untouched = {"Users": clean}
    assert redactor({"Variables"})(untouched) is untouched
