"""ASFF batches checked with botocore's own Security Hub model: a Stubber validates each BatchImportFindings call."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from botocore.exceptions import ParamValidationError

from auditpack.library.config import Config
from auditpack.render import RenderContext
from auditpack.render.formats.asff import FILENAME, batches, resource_type, write_asff
from tests.formats_support import (
    SEEDED_SECRET,
    all_strings,
    import_all,
    model_violations,
    securityhub,
    synthetic_assessment,
)


def test_file_is_a_list_of_batch_import_requests_that_botocore_accepts(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    (path,) = write_asff(assessment, RenderContext(pack=tmp_path, config=Config()))
    assert path.name == FILENAME
    bodies = json.loads(path.read_text())
    assert import_all(bodies) == len(assessment.findings)
    findings = [f for body in bodies for f in body["Findings"]]
    by_status = {f["ProductFields"]["auditpack/Status"]: f for f in findings}
    assert {k: v["Compliance"]["Status"] for k, v in by_status.items()} == {
        "fail": "FAILED", "waived": "FAILED", "pass": "PASSED", "error": "WARNING", "not-applicable": "NOT_AVAILABLE"}
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
    many = [replace(template, id=f"{template.id}-{i}", control_ids=[f"AU-{n}" for n in range(40)])
            for i in range(250)]
    bodies = list(batches(assessment.model_copy(update={"findings": many})))
    assert [len(b["Findings"]) for b in bodies] == [100, 100, 50]
    assert all(len(f["Compliance"]["RelatedRequirements"]) == 32 for b in bodies for f in b["Findings"])
    assert import_all(bodies) == 250


def test_botocore_rejects_a_malformed_finding(tmp_path):
    """The Stubber check bites: a missing required field fails before anything would be sent."""
    body = next(batches(synthetic_assessment(tmp_path)))
    del body["Findings"][0]["Resources"]
    with pytest.raises(ParamValidationError):
        import_all([body])
    bad_status = next(batches(synthetic_assessment(tmp_path)))
    bad_status["Findings"][0]["Compliance"]["Status"] = "MAYBE"
    request = securityhub().meta.service_model.operation_model("BatchImportFindings").input_shape
    assert model_violations(request, bad_status)



def test_resource_types_follow_asff_spelling():
    assert resource_type("AWS::CloudTrail::Trail") == "AwsCloudTrailTrail"
    assert resource_type("AWS::EC2::Instance") == "AwsEc2Instance"
    assert resource_type("AWS::IAM::AccessKey") == "AwsIamAccessKey"
    assert resource_type("AWS::S3::Bucket") == "AwsS3Bucket"
    assert resource_type("AWS::SecretsManager::Secret") == "AwsSecretsManagerSecret"
    assert resource_type("AWS::::Account") == "AwsAccount"
    assert resource_type("Custom::Thing") == "Other"


def test_blank_message_and_name_still_import(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    odd = replace(assessment.findings[1], message=" ",
                  resource=assessment.findings[1].resource.model_copy(update={"name": ""}))
    (body,) = list(batches(assessment.model_copy(update={"findings": [odd]})))
    assert import_all([body]) == 1
    assert "Details" not in body["Findings"][0]["Resources"][0]
