"""Organization scale against the emulator: many accounts, a role that cannot be assumed, waivers, diff, merge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditpack.emulator.seeding.monitoring import guardduty, seed_logging, trail
from auditpack.emulator.seeding.organization import create_organization, in_account
from auditpack.emulator.seeding.prevention import metric_alerts
from auditpack.pack.verify import verify
from auditpack.resources.base import iam_action
from tests.helpers import api_calls, load_assessment, run_cli
from tests.sts_gate import sts_gate

REGIONS = ["--region", "us-east-1", "--region", "us-west-2"]
MANAGEMENT = "123456789012"


def controls_of(assessment: dict) -> dict[str, tuple[str, dict[str, str]]]:
    return {c["id"]: (c["status"], c["accounts"]) for c in assessment["controls"]}


def statuses_of(assessment: dict) -> dict[str, str]:
    return {f["id"]: f["status"] for f in assessment["findings"]}


def test_org_scan_judges_each_account_and_reports_the_one_whose_role_is_denied(aws, out_dir, capsys, monkeypatch):
    _, members = create_organization("workload", "legacy")
    workload, legacy = members["workload"], members["legacy"]
    seed_logging("us-east-1")  # management: a single-region trail
    with in_account(workload):
        trail("org-trail", multi_region=True)

    # moto grants every AssumeRole; this loopback front answers AccessDenied for one account, as AWS does
    # when the role is missing or does not trust the caller.
    with sts_gate(aws.endpoint, {legacy}) as gate:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", gate)
        result = run_cli(capsys, "scan", "--org", *REGIONS, "--out", str(out_dir), "--quiet",
                         "--control", "AU-2", "--format", "json")

    assert result.code == 1, result.stderr
    assessment = load_assessment(out_dir)
    assert assessment["scope"]["accounts"] == sorted([MANAGEMENT, workload, legacy])
    status, by_account = controls_of(assessment)["AU-2"]
    assert status == "not-satisfied"
    assert by_account == {MANAGEMENT: "not-satisfied", workload: "satisfied", legacy: "not-assessed"}
    denied = [e for e in assessment["errors"] if e["account"] == legacy]
    assert denied and {(e["service"], e["operation"], e["error_code"]) for e in denied} == {
        ("sts", "AssumeRole", "AccessDenied")}
    assert f"arn:aws:iam::{legacy}:role/OrganizationAccountAccessRole" in denied[0]["message"]
    legacy_findings = [f for f in assessment["findings"] if f["account"] == legacy]
    assert legacy_findings and {f["status"] for f in legacy_findings} == {"error"}
    # each account's evidence lives in its own folder, read with that account's credentials
    assert (out_dir / "evidence" / workload / "us-east-1" / "cloudtrail").is_dir()
    trails = json.loads(next((out_dir / "evidence" / workload / "us-east-1" / "cloudtrail").glob(
        "DescribeTrails-*.json")).read_text())
    assert [t["Name"] for t in trails["response"]["trailList"]] == ["org-trail"]


WAIVERS = """\
organization: {{name: Example Corp, system: Payments platform}}
waivers:
  - check_id: cloudtrail_log_file_validation
    resource: "arn:aws:cloudtrail:*:{account}:trail/management-*"
    justification: Digest validation replaced by S3 Object Lock on the log bucket until the migration.
    approved_by: CISO
    expires: 2999-12-31
    ticket: SEC-101
  - check_id: cloudtrail_log_file_validation
    resource: "arn:aws:cloudtrail:*:{account}:trail/*"
    justification: Old exception for every trail.
    approved_by: CISO
    expires: 2020-01-31
  - check_id: cloudtrail_kms_encrypted
    resource: "arn:aws:cloudtrail:*:{account}:trail/management-*"
    justification: Was needed before the KMS key existed.
    approved_by: CISO
    expires: 2999-12-31
"""


def test_waivers_match_expire_and_go_stale_and_waived_only_failures_satisfy(aws, tmp_path, capsys):
    trail("management-events", kms=True, multi_region=True)  # encrypted, but does not validate its log files
    config = tmp_path / "auditpack.yaml"
    config.write_text(WAIVERS.format(account=MANAGEMENT))
    out = tmp_path / "pack"

    result = run_cli(capsys, "scan", "--config", str(config), *REGIONS, "--out", str(out), "--quiet",
                     "--control", "AU-9", "--format", "json")

    assert result.code == 0, result.stderr  # the only failure is waived: AU-9 is satisfied
    assessment = load_assessment(out)
    assert controls_of(assessment)["AU-9"][0] == "satisfied"
    waived = [f for f in assessment["findings"] if f["check_id"] == "cloudtrail_log_file_validation"]
    assert [f["status"] for f in waived] == ["waived"]
    assert waived[0]["waiver"]["ticket"] == "SEC-101"
    states = [(w["state"], w["finding_ids"]) for w in assessment["waivers"]]
    assert states == [("active", [waived[0]["id"]]), ("expired", [waived[0]["id"]]), ("stale", [])]
    au9 = next(c for c in assessment["controls"] if c["id"] == "AU-9")
    assert {s["check_id"]: s["waived"] for s in au9["check_results"]} == {
        "cloudtrail_log_file_validation": 1, "cloudtrail_kms_encrypted": 0}


def test_diff_across_two_scans_shows_the_fixed_and_the_added_violation(aws, tmp_path, capsys):
    seed_logging("us-east-1", guardduty_regions=("us-east-1",))
    metric_alerts("us-east-1")  # IR-4 also needs alerts that reach someone; they are there in both quarters
    first, second = tmp_path / "q1", tmp_path / "q2"
    scan = ["scan", *REGIONS, "--quiet", "--format", "json", "--control", "IR-4", "--control", "AU-9"]
    assert run_cli(capsys, *scan, "--out", str(first)).code == 1

    guardduty("us-west-2")  # fixed: GuardDuty now on in us-west-2
    trail("audit-extra", kms=True)  # added: a second trail that does not validate its log files
    assert run_cli(capsys, *scan, "--out", str(second), "--previous", str(first), "--format", "json,html").code == 1

    q1, q2 = load_assessment(first), load_assessment(second)
    ids = {(f["check_id"], f["region"], f["resource"]["name"]): f["id"] for f in q1["findings"] + q2["findings"]}
    gd_west = ids[("guardduty_enabled", "us-west-2", MANAGEMENT)]
    new_trail = ids[("cloudtrail_log_file_validation", "us-east-1", "audit-extra")]
    old_trail = ids[("cloudtrail_log_file_validation", "us-east-1", "management-events")]

    comparison = q2["comparison"]
    assert comparison["previous_run_id"] == q1["run"]["id"]
    assert comparison["resolved"] == [gd_west]
    assert comparison["new_failures"] == [new_trail]
    assert old_trail in comparison["persisting"]
    assert {"id": "IR-4", "previous": "not-satisfied", "current": "satisfied"} in comparison["control_changes"]

    text = run_cli(capsys, "diff", str(first), str(second))
    assert text.code == 0
    assert "New failures: 1   Resolved: 1" in text.stdout
    new_section = text.stdout.split("\nNew failures:\n")[1].split("\n\n")[0]
    resolved_section = text.stdout.split("\nResolved:\n")[1].split("\n\n")[0]
    assert "trail/audit-extra" in new_section and new_section.count("\n") == 0
    assert "guardduty_enabled" in resolved_section and "us-west-2" in resolved_section
    assert "IR-4  not-satisfied  ->  satisfied" in text.stdout
    persisting = text.stdout.split("\nPersisting failures:\n")[1].split("\n\n")[0].splitlines()
    assert len(persisting) > 1 and len({line.index(MANAGEMENT) for line in persisting}) == 1, "columns align"
    assert "scopes differ" not in text.stdout

    # the report names the account and region of a resolved failure whose finding is gone from this run
    html = (second / "report.html").read_text()
    resolved_rows = re.sub(r"<[^>]+>", "", html.split("Resolved since the previous run")[1].split("</table>")[0])
    assert "guardduty_enabled" in resolved_rows and MANAGEMENT in resolved_rows and "us-west-2" in resolved_rows

    assert run_cli(capsys, "diff", "--fail-on-new", str(first), str(second)).code == 1
    assert run_cli(capsys, "diff", "--fail-on-new", str(second), str(second)).code == 0

    narrower = tmp_path / "q2-east"
    run_cli(capsys, *scan[:1], "--region", "us-east-1", *scan[5:], "--out", str(narrower))
    warned = run_cli(capsys, "diff", str(second), str(narrower))
    assert "Warning: the two runs' scopes differ" in warned.stdout
    assert "regions only in the previous run: us-west-2" in warned.stdout
    assert "scopes differ" in run_cli(capsys, "diff", "--json", str(second), str(narrower)).stderr

    as_json = run_cli(capsys, "diff", "--json", str(first), str(second))
    assert as_json.code == 0
    document = json.loads(as_json.stdout)
    assert document["comparison"] == comparison
    # "no detector in us-west-2" was judged on the account; now the detector passes, so that finding is gone
    assert document["findings"][gd_west]["previous_status"] == "fail"
    assert document["findings"][new_trail]["current_status"] == "fail"


def test_merge_of_two_single_account_packs_equals_a_scan_of_both(aws, tmp_path, capsys):
    _, members = create_organization("workload")
    workload = members["workload"]
    seed_logging("us-east-1")
    with in_account(workload):
        trail("org-trail", multi_region=True, log_validation=True)
        guardduty("us-east-1", "us-west-2")
    common = ["scan", *REGIONS, "--quiet", "--format", "json"]
    part_a, part_b, whole, merged = (tmp_path / n for n in ("a", "b", "whole", "merged"))
    run_cli(capsys, *common, "--accounts", MANAGEMENT, "--out", str(part_a))
    role = f"arn:aws:iam::{workload}:role/OrganizationAccountAccessRole"
    run_cli(capsys, *common, "--account-role", role, "--accounts", workload, "--out", str(part_b))
    run_cli(capsys, *common, "--org", "--out", str(whole))

    result = run_cli(capsys, "merge", str(part_a), str(part_b), "--out", str(merged), "--quiet")

    assert result.code == 1, result.stderr
    combined, reference = load_assessment(merged), load_assessment(whole)
    assert load_assessment(part_a)["scope"]["accounts"] == [MANAGEMENT]
    assert load_assessment(part_b)["scope"]["accounts"] == [workload]
    assert statuses_of(combined) == statuses_of(reference)
    assert controls_of(combined) == controls_of(reference)
    assert [c["check_results"] for c in combined["controls"]] == [c["check_results"] for c in reference["controls"]]
    assert [m["accounts"] for m in combined["merged_from"]] == [[MANAGEMENT], [workload]]
    for finding in combined["findings"]:
        for ref in finding["evidence"]:
            assert (merged / ref).is_file(), ref
    assert verify(merged).intact


@pytest.fixture
def two_sealed_packs(tmp_path: Path, aws, capsys) -> tuple[Path, Path]:
    _, members = create_organization("workload")
    packs = []
    for account in (MANAGEMENT, members["workload"]):
        pack = tmp_path / account
        run_cli(capsys, "scan", "--region", "us-east-1", "--quiet", "--format", "json", "--control", "AU-9",
                "--accounts", account, "--out", str(pack))
        packs.append(pack)
    return packs[0], packs[1]


def test_merge_refuses_a_pack_that_fails_verification(two_sealed_packs, tmp_path, capsys):
    part_a, part_b = two_sealed_packs
    evidence = next((part_b / "evidence").rglob("*.json"))
    evidence.write_text(evidence.read_text().replace('"response"', '"response" ', 1))
    result = run_cli(capsys, "merge", str(part_a), str(part_b), "--out", str(tmp_path / "m"))
    assert result.code == 2
    assert f"{part_b}: failed verification, not merged: altered: evidence/" in result.stderr
    assert not (tmp_path / "m").exists()


def test_merge_refuses_packs_of_different_assessments_or_overlapping_accounts(two_sealed_packs, tmp_path, capsys):
    part_a, part_b = two_sealed_packs
    other = tmp_path / "other"
    run_cli(capsys, "scan", "--region", "us-east-1", "--quiet", "--format", "json", "--control", "SC-28",
            "--accounts", MANAGEMENT, "--out", str(other))
    result = run_cli(capsys, "merge", str(part_b), str(other), "--out", str(tmp_path / "m"))
    assert result.code == 2 and "they differ in controls, checks" in result.stderr
    result = run_cli(capsys, "merge", str(part_a), str(part_a), "--out", str(tmp_path / "m"))
    assert result.code == 2 and f"account {MANAGEMENT} is in both" in result.stderr


def test_org_scan_calls_only_what_permissions_org_allows(aws, out_dir, capsys, monkeypatch):
    _, members = create_organization("workload")
    with api_calls(monkeypatch, name="service_name") as calls:
        result = run_cli(capsys, "scan", "--org", "--region", "us-east-1", "--out", str(out_dir), "--quiet",
                         "--format", "json")
    made = [f"{service}:{operation}" for service, operation, _ in calls]

    assert result.code in (1, 3), result.stderr
    assert load_assessment(out_dir)["scope"]["accounts"] == sorted([MANAGEMENT, members["workload"]])
    policy = json.loads(run_cli(capsys, "permissions", "--org").stdout)
    allowed = {a.lower() for s in policy["Statement"] for a in s["Action"]}
    assert {"organizations:ListAccounts", "sts:AssumeRole"} <= set(made)
    assert {iam_action(*call.split(":")).lower() for call in made} <= allowed


def test_org_mistakes_are_one_line_usage_errors(aws, out_dir, capsys):
    result = run_cli(capsys, "scan", "--org", "--region", "us-east-1", "--out", str(out_dir))
    assert result.code == 2  # after the phase it was in (Planning...), one line says why
    assert result.stderr.splitlines()[-1].startswith("auditpack: --org: cannot list the Organization's accounts")
    create_organization("workload")
    result = run_cli(capsys, "scan", "--org", "--accounts", "999999999999", "--region", "us-east-1",
                     "--out", str(out_dir))
    assert result.code == 2
    assert "--accounts: not an active account of the Organization: 999999999999" in result.stderr
    assert "Traceback" not in result.stderr and not out_dir.exists()
