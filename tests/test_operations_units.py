"""Pure parts of organization-scale operation: pack checksums, diff rules, account selection, permissions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from auditpack.collect.accounts import parse_account_ids, parse_role_arns
from auditpack.errors import UserError
from auditpack.evaluate.diff import compare
from auditpack.models import Assessment, ControlResult, ControlStatus, Identity, Run, Scope, Status, Tool
from tests.helpers import run_cli
from tests.test_waivers import TRAIL, finding


def assessment(findings, accounts=("111111111111",), regions=("us-east-1",),
               controls: dict[str, ControlStatus] | None = None) -> Assessment:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    return Assessment(
        tool=Tool(version="0"), run=Run(id="r", started_at=now, finished_at=now),
        scope=Scope(accounts=list(accounts), regions=list(regions),
                    identity=Identity(arn="arn:aws:iam::111111111111:user/x", account="111111111111")),
        controls=[ControlResult(id=c, oscal_id=c.lower(), title=c, family="f", summary="s", status=s, checks=[])
                  for c, s in (controls or {}).items()],
        findings=findings)


def test_a_failure_the_new_run_could_not_judge_is_not_called_resolved():
    other_trail = TRAIL.replace("111111111111", "222222222222")
    old = assessment([finding("cloudtrail_kms_encrypted", TRAIL), finding("cloudtrail_log_file_validation", TRAIL),
                      finding("cloudtrail_kms_encrypted", other_trail)], accounts=("111111111111", "222222222222"))
    errored = finding("cloudtrail_log_file_validation", "arn:aws:iam::111111111111:root", Status.ERROR)
    new = assessment([errored])  # the trail is gone, but log validation could not be judged this time
    result = compare(old, new)
    assert result.resolved == [finding("cloudtrail_kms_encrypted", TRAIL).id]
    assert set(result.not_assessed) == {finding("cloudtrail_log_file_validation", TRAIL).id,
                                        finding("cloudtrail_kms_encrypted", other_trail).id}  # account not scanned


def test_waiving_is_not_fixing_and_control_changes_include_added_and_removed_controls():
    old = assessment([finding("cloudtrail_kms_encrypted", TRAIL)],
                     controls={"AU-9": ControlStatus.NOT_SATISFIED, "SC-28": ControlStatus.NOT_SATISFIED})
    new = assessment([finding("cloudtrail_kms_encrypted", TRAIL, Status.WAIVED)],
                     controls={"AU-9": ControlStatus.SATISFIED, "AU-2": ControlStatus.SATISFIED})
    result = compare(old, new)
    assert result.persisting == [finding("cloudtrail_kms_encrypted", TRAIL).id] and not result.resolved
    assert [(c.id, c.previous, c.current) for c in result.control_changes] == [
        ("AU-9", "not-satisfied", "satisfied"), ("AU-2", None, "satisfied"), ("SC-28", "not-satisfied", None)]


def test_accounts_take_commas_and_repetition_and_reject_bad_ids():
    assert parse_account_ids(["111111111111,222222222222", "333333333333", "111111111111"]) == (
        "111111111111", "222222222222", "333333333333")
    with pytest.raises(UserError, match="not a 12-digit account id: 1234"):
        parse_account_ids(["1234"])
    with pytest.raises(UserError, match="not an IAM role ARN"):
        parse_role_arns(["arn:aws:iam::111111111111:user/bob"])


def test_permissions_add_what_reaching_other_accounts_needs_only_when_asked(capsys):
    plain = json.loads(run_cli(capsys, "permissions").stdout)
    assert [s["Sid"] for s in plain["Statement"]] == ["AuditpackReadOnly"]
    org = json.loads(run_cli(capsys, "permissions", "--org", "--role-name", "AuditRole").stdout)
    extra = {s["Sid"]: s for s in org["Statement"][1:]}
    assert extra["AuditpackListOrganization"]["Action"] == ["organizations:ListAccounts"]
    assert extra["AuditpackAssumeScanRoles"] == {"Sid": "AuditpackAssumeScanRoles", "Effect": "Allow",
                                                 "Action": ["sts:AssumeRole"],
                                                 "Resource": ["arn:aws:iam::*:role/AuditRole"]}


def test_a_missing_previous_pack_stops_the_scan_before_any_call(tmp_path, capsys):
    result = run_cli(capsys, "scan", "--previous", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert result.code == 2 and "not found; is" in result.stderr
    assert not (tmp_path / "out").exists()


def test_findings_belong_to_the_account_whose_partition_judged_them_even_without_an_account_in_the_arn():
    from dataclasses import replace

    from auditpack.evaluate.evaluation import evaluate
    from auditpack.library.checks import Result, load_checks
    from auditpack.library.controls import ResolvedParameters
    from auditpack.models import ResourceRef
    from auditpack.resources.inventory import Inventory

    def per_bucket(view, params):  # S3 bucket ARNs carry no account
        yield Result(Status.FAIL, ResourceRef(arn=f"arn:aws:s3:::logs-{view.account}", type="AWS::S3::Bucket",
                                              name=f"logs-{view.account}"), "m", "global")

    spec = replace(load_checks()["cloudtrail_kms_encrypted"], func=per_bucket)
    inventory = Inventory(accounts=["111111111111", "222222222222"], regions=["us-east-1"])
    for account in inventory.accounts:
        inventory.add("cloudtrail.trails", account, "us-east-1", [])
    findings = evaluate(inventory, {spec.id: spec}, ResolvedParameters({}, {}, {}), {})
    assert {f.resource.name: f.account for f in findings} == {
        "logs-111111111111": "111111111111", "logs-222222222222": "222222222222"}


def test_findings_about_one_resource_share_one_reference():
    from dataclasses import replace

    from auditpack.evaluate.evaluation import evaluate
    from auditpack.library.checks import Result, load_checks
    from auditpack.library.controls import ResolvedParameters
    from auditpack.models import ResourceRef
    from auditpack.resources.inventory import Inventory

    def judge(view, params):  # each check makes its own reference, as checks do
        yield Result(Status.PASS, ResourceRef(arn="arn:aws:iam::111111111111:user/alice", type="AWS::IAM::User",
                                              name="alice"), "m", "global")

    checks = {cid: replace(load_checks()[cid], func=judge)
              for cid in ("iam_access_key_rotated", "iam_access_key_unused")}
    inventory = Inventory(accounts=["111111111111"], regions=["us-east-1"])
    first, second = evaluate(inventory, checks, ResolvedParameters({}, {}, {}), {})
    assert first.check_id != second.check_id and first.resource is second.resource


def test_a_consuming_evaluation_drops_each_resource_type_after_its_last_reader_and_judges_the_same():
    """The scan's evaluation frees the resources as it goes (``consume``); every check still sees what it reads,
    so the findings are those of an evaluation that keeps the inventory."""
    from dataclasses import replace

    from auditpack.evaluate.evaluation import evaluate
    from auditpack.library.checks import Result, load_checks
    from auditpack.library.controls import ResolvedParameters
    from auditpack.models import CollectionError, ResourceRef
    from auditpack.resources.inventory import Inventory

    seen: dict[str, list[str]] = {}

    def judging(check_id: str):
        def judge(view, params):
            seen[check_id] = sorted(view.inventory.items)
            yield Result(Status.PASS, ResourceRef(arn=f"arn:aws:iam::111111111111:user/{check_id}",
                                                  type="AWS::IAM::User", name=check_id), "m", "global")
        return judge

    ids = ("iam_access_key_rotated", "iam_access_key_unused", "iam_user_console_mfa")
    checks = {cid: replace(load_checks()[cid], func=judging(cid)) for cid in ids}

    def inventory() -> Inventory:
        made = Inventory(accounts=["111111111111"], regions=["us-east-1"])
        for rtype in {r for spec in checks.values() for r in spec.reads}:
            made.add(rtype, "111111111111", "global", [])
        made.fail("ec2.instances", CollectionError(  # read by none of these checks
            account="111111111111", region="us-east-1", service="ec2", operation="DescribeInstances",
            error_code="Throttling", message="slow down", resource_type="ec2.instances"))
        return made

    kept = evaluate(inventory(), checks, ResolvedParameters({}, {}, {}), {})
    consumed_inventory = inventory()
    consumed = evaluate(consumed_inventory, checks, ResolvedParameters({}, {}, {}), {}, consume=True)
    assert consumed == kept and len(kept) == len(ids)
    for cid, spec in checks.items():
        assert set(spec.reads) <= set(seen[cid]), f"{cid} ran without what it reads"
    assert not consumed_inventory.items, "nothing is left once the last reader is done"
    assert consumed_inventory.errors["ec2.instances"], "failed calls stay: they are the assessment's errors"


def test_releasing_a_secret_source_drops_its_verdicts_and_other_types_leave_them():
    from auditpack.resources.base import secret_source_types
    from auditpack.resources.inventory import Inventory
    from auditpack.resources.secret_source import SecretScan

    source = sorted(secret_source_types())[0]
    inventory = Inventory(accounts=["111111111111"], regions=["us-east-1"])
    inventory.add(source, "111111111111", "us-east-1", [])
    inventory.add("cloudtrail.trails", "111111111111", "us-east-1", [])
    inventory.verdicts[(source, "arn:aws:x:::1")] = SecretScan()
    inventory.release(["cloudtrail.trails"])
    assert list(inventory.items) == [source] and inventory.verdicts
    inventory.release([source])
    assert not inventory.items and not inventory.verdicts
