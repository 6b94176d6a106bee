"""GuardDuty findings collection, with botocore's Stubber: paging and batches of 50 that no seeded account reaches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
from botocore.stub import ANY, Stubber

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate
from auditpack.resources.guardduty import Detector, high_findings


def test_high_findings_paginate_and_batch(tmp_path: Path):
    client = boto3.client("guardduty", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(client)
    ids = [f"f{i}" for i in range(60)]
    stub.add_response("list_findings", {"FindingIds": ids[:40], "NextToken": "n"},
                      {"DetectorId": "d1", "FindingCriteria": ANY})
    stub.add_response("list_findings", {"FindingIds": ids[40:]},
                      {"DetectorId": "d1", "FindingCriteria": ANY, "NextToken": "n"})

    def finding(fid: str) -> dict:
        arn = f"arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/{fid}"
        return {"AccountId": "123456789012", "Arn": arn,
                "CreatedAt": "2026-01-01T00:00:00.000Z", "UpdatedAt": "2026-01-02T00:00:00.000Z", "Id": fid,
                "Region": "us-east-1", "Resource": {}, "SchemaVersion": "2.0", "Severity": 8.0,
                "Type": "Recon:EC2/PortProbeUnprotectedPort"}

    stub.add_response("get_findings", {"Findings": [finding(i) for i in ids[:50]]},
                      {"DetectorId": "d1", "FindingIds": ids[:50]})
    stub.add_response("get_findings", {"Findings": [finding(i) for i in ids[50:]]},
                      {"DetectorId": "d1", "FindingIds": ids[50:]})
    detector = Detector(arn="arn:aws:guardduty:us-east-1:123456789012:detector/d1", name="d1",
                        account="123456789012", region="us-east-1", detector_id="d1", enabled=True)
    ctx = Gate(account="123456789012", region="us-east-1", partition="aws",
               client_factory=lambda service, region: client, recorder=EvidenceRecorder(tmp_path),
               needed={"guardduty.detectors": [detector]})
    with stub:
        found = high_findings(ctx)
    stub.assert_no_pending_responses()
    assert len(found) == 60
    assert found[0].created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert ctx.calls.count("guardduty:ListFindings") == 2 and ctx.calls.count("guardduty:GetFindings") == 2
