"""The assessment model: what holding findings compactly must not change."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, fields, replace

import pytest
from pydantic import ValidationError

from auditpack.models import FINDING, Assessment, Finding, ResourceRef, Severity, Status, Waiver


def finding(n: int, **extra) -> Finding:
    arn = f"arn:aws:iam::123456789012:user/u{n}"
    return Finding(id=Finding.stable_id("iam_user_mfa_enabled", arn, "global"), check_id="iam_user_mfa_enabled",
                   status=Status.FAIL, severity=Severity.HIGH,
                   resource=ResourceRef(arn=arn, type="AWS::IAM::User", name=f"u{n}"), region="global",
                   account="123456789012", control_ids=["IA-2(1)"], message=f"u{n} has no MFA.",
                   remediation="Enable MFA.", **extra)


def test_a_finding_holds_no_dict_and_cannot_be_changed_in_place():
    """Findings share lists (one control list per check): a finding changed in place would change others."""
    first = finding(1)
    assert not hasattr(first, "__dict__")
    with pytest.raises(FrozenInstanceError):
        first.status = Status.WAIVED  # type: ignore[misc]
    waiver = Waiver(check_id="iam_user_mfa_enabled", resource="*", justification="Break-glass user.",
                    approved_by="CISO", expires="2099-01-01")
    waived = replace(first, status=Status.WAIVED, waiver=waiver)
    assert first.status == Status.FAIL and first.waiver is None
    assert waived.waiver == waiver and waived.control_ids == first.control_ids


def test_a_finding_reads_back_equal_with_every_field_written():
    original = finding(3, details={"age_days": 120})
    written = FINDING.dump_python(original, mode="json")
    assert set(written) == {f.name for f in fields(Finding)}  # defaults are written too
    assert FINDING.validate_python(written) == original
    assert FINDING.validate_json(FINDING.dump_json(original)) == original


def test_an_assessment_refuses_a_finding_with_an_unknown_or_missing_field():
    """As strict as every other part of assessment.json: ``extra`` is forbidden and types are checked."""
    written = FINDING.dump_python(finding(4), mode="json")
    for bad in ({**written, "colour": "red"}, {k: v for k, v in written.items() if k != "message"},
                {**written, "status": "maybe"}):
        with pytest.raises(ValidationError):
            FINDING.validate_python(bad)
    schema = Assessment.model_json_schema()["$defs"]["Finding"]
    assert schema["additionalProperties"] is False
    assert "Stable across runs" in schema["properties"]["id"]["description"]
    assert set(schema["required"]) == {f.name for f in fields(Finding)} - {"evidence", "details", "waiver"}
    json.dumps(schema)
