"""ASFF batches checked with botocore's own Security Hub model: a Stubber validates each BatchImportFindings call."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from botocore.model import Shape
from botocore.stub import Stubber

from auditpack.models import Status
from auditpack.outputs import RenderContext
from auditpack.outputs.asff import FILENAME, batches, write_asff
from tests.formats_support import SEEDED_SECRET, all_strings, synthetic_assessment


def securityhub():
    return boto3.client("securityhub", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def model_violations(shape: Shape, value: Any, path: str = "") -> list[str]:
    """What botocore's parameter validator leaves to the service: the model's enums, maximum sizes and patterns."""
    problems = []
    limit = shape.metadata.get("max")
    if limit is not None and isinstance(value, str | list | dict) and len(value) > limit:
        problems.append(f"{path}: {len(value)} > max {limit}")
    pattern = shape.metadata.get("pattern")
    if pattern and isinstance(value, str) and not re.search(pattern, value):
        problems.append(f"{path}: {value!r} does not match {pattern!r}")
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} not in {enum}")
    if shape.type_name == "structure":
        for key, item in value.items():
            problems += model_violations(shape.members[key], item, f"{path}.{key}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            problems += model_violations(shape.member, item, f"{path}[{i}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += model_violations(shape.key, key, f"{path}<key>")
            problems += model_violations(shape.value, item, f"{path}.{key}")
    return problems


def import_all(bodies: list[dict]) -> int:
    """Send every batch through a stubbed client: botocore validates types and required fields, no network."""
    client = securityhub()
    request = client.meta.service_model.operation_model("BatchImportFindings").input_shape
    imported = 0
    with Stubber(client) as stub:
        for body in bodies:
            assert model_violations(request, body) == []
            stub.add_response("batch_import_findings",
                              {"FailedCount": 0, "SuccessCount": len(body["Findings"]), "FailedFindings": []}, body)
            imported += client.batch_import_findings(**body)["SuccessCount"]
        stub.assert_no_pending_responses()
    return imported


def test_file_is_a_list_of_batch_import_requests_that_botocore_accepts(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    (path,) = write_asff(assessment, RenderContext(pack=tmp_path))
    assert path.name == FILENAME
    bodies = json.loads(path.read_text())
    assert import_all(bodies) == len(assessment.findings)
    findings = [f for body in bodies for f in body["Findings"]]
    by_status = {f["ProductFields"]["auditpack/Status"]: f for f in findings}
    assert {k: v["Compliance"]["Status"] for k, v in by_status.items()} == {
        "fail": "FAILED", "waived": "FAILED", "pass": "PASSED", "error": "WARNING"}
    assert by_status["waived"]["Workflow"] == {"Status": "SUPPRESSED"}
    assert by_status["pass"]["Severity"]["Label"] == "INFORMATIONAL"
    assert by_status["error"]["Severity"]["Label"] == "HIGH"
    glob = next(f for f in findings if f["GeneratorId"] == "auditpack/cloudtrail_multi_region_logging")
    assert glob["ProductArn"] == "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    assert glob["Resources"][0] == {"Type": "AwsAccount", "Id": "arn:aws:iam::123456789012:root",
                                    "Partition": "aws", "Region": "us-east-1", "Details": {"Other": {
                                        "Name": "123456789012"}}}
    assert glob["Compliance"]["RelatedRequirements"] == ["NIST.800-53.r5 AU-2", "NIST.800-53.r5 AU-12"]
    assert glob["ProductFields"]["auditpack/Region"] == "global"
    assert glob["ProductFields"]["auditpack/masked"] == "AKIA…MPLE"
    assert not any(SEEDED_SECRET in s for s in all_strings(bodies))


def test_batches_hold_at_most_100_and_requirements_at_most_32(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    template = assessment.findings[1]
    many = [template.model_copy(update={"id": f"{template.id}-{i}", "control_ids": [f"AU-{n}" for n in range(40)]})
            for i in range(250)]
    bodies = batches(assessment.model_copy(update={"findings": many}))
    assert [len(b["Findings"]) for b in bodies] == [100, 100, 50]
    assert all(len(f["Compliance"]["RelatedRequirements"]) == 32 for b in bodies for f in b["Findings"])
    assert import_all(bodies) == 250


def test_botocore_rejects_a_malformed_finding(tmp_path):
    """The Stubber check bites: a missing required field fails before anything would be sent."""
    body = batches(synthetic_assessment(tmp_path))[0]
    del body["Findings"][0]["Resources"]
    with pytest.raises(ParamValidationError):
        import_all([body])
    bad_status = batches(synthetic_assessment(tmp_path))[0]
    bad_status["Findings"][0]["Compliance"]["Status"] = "MAYBE"
    request = securityhub().meta.service_model.operation_model("BatchImportFindings").input_shape
    assert model_violations(request, bad_status)


def test_not_applicable_maps_to_not_available(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    na = assessment.findings[3].model_copy(update={"status": Status.NOT_APPLICABLE})
    (body,) = batches(assessment.model_copy(update={"findings": [na]}))
    assert body["Findings"][0]["Compliance"]["Status"] == "NOT_AVAILABLE"
    assert import_all([body]) == 1
