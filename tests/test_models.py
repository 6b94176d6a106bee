"""The assessment model: what its memory savings must not change."""

from __future__ import annotations

from auditpack.models import Finding, ResourceRef, Severity, Status, Waiver


def finding(n: int, **extra) -> Finding:
    arn = f"arn:aws:iam::123456789012:user/u{n}"
    return Finding(id=Finding.stable_id("iam_user_mfa_enabled", arn, "global"), check_id="iam_user_mfa_enabled",
                   status=Status.FAIL, severity=Severity.HIGH,
                   resource=ResourceRef(arn=arn, type="AWS::IAM::User", name=f"u{n}"), region="global",
                   account="123456789012", control_ids=["IA-2(1)"], message=f"u{n} has no MFA.",
                   remediation="Enable MFA.", **extra)


def test_findings_share_one_fields_set_that_names_every_field():
    first, second = finding(1), Finding.model_validate_json(finding(2).model_dump_json())
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    assert first.model_fields_set == set(Finding.model_fields)


def test_changing_one_finding_changes_no_other():
    waiver = Waiver(check_id="iam_user_mfa_enabled", resource="*", justification="Break-glass user.",
                    approved_by="CISO", expires="2099-01-01")
    first, second = finding(1), finding(2)
    first.status = Status.WAIVED
    waived = second.model_copy(update={"waiver": waiver})
    assert second.status == Status.FAIL and second.waiver is None
    assert waived.waiver == waiver and first.waiver is None
    assert first.model_fields_set == set(Finding.model_fields)


def test_a_finding_reads_back_equal_with_every_field_written():
    original = finding(3, details={"age_days": 120})
    written = original.model_dump(mode="json")
    assert set(written) == set(Finding.model_fields)  # unset defaults are written too
    assert Finding.model_validate(written) == original
