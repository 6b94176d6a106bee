"""End to end against the emulator: each weakness of the prevention family and its good twin are seeded, the
real CLI scans them, and every verdict is asserted; a clean account yields no failing finding."""

from __future__ import annotations

from collections import Counter

from auditpack.emulator.seeding.prevention import seed_clean_account, seed_prevention
from tests.helpers import api_calls, load_assessment, run_cli, verdicts

CHECKS = ("iam_role_no_admin", "iam_user_no_attached_policies", "iam_role_trust_not_public",
          "secretsmanager_policy_not_public", "kms_key_policy_not_public", "iam_user_console_unused",
          "s3_account_public_access_blocked", "s3_bucket_not_public", "lambda_url_auth_required",
          "ec2_launch_template_imdsv2_required", "config_recorder_enabled", "alert_on_iam_policy_changes",
          "alert_on_access_key_creation", "alert_on_root_activity", "alert_on_logging_changes",
          "budget_alert_configured")
CONTROLS = ("AC-2", "AC-2(3)", "AC-3", "AC-6", "AC-6(5)", "AC-21", "SC-7", "SC-12", "SC-28", "CM-8", "SI-4",
            "SI-4(5)", "AU-6", "IR-4")
REGIONS = ("us-east-1", "us-west-2")
G, E, W = "global", "us-east-1", "us-west-2"
ACCOUNT = "123456789012"

EXPECTED = {
    ("iam_role_no_admin", G, "ci-deployer"): "fail",
    ("iam_role_no_admin", G, "OrganizationAccountAccessRole"): "pass",
    ("iam_role_no_admin", G, "app-reader"): "pass",
    ("iam_role_no_admin", G, "AWSServiceRoleForAutoScaling"): "not-applicable",
    ("iam_role_trust_not_public", G, "vendor-audit-open"): "fail",
    ("iam_role_trust_not_public", G, "vendor-audit"): "pass",
    ("iam_user_no_attached_policies", G, "contractor-direct"): "fail",
    ("iam_user_no_attached_policies", G, "group-member"): "pass",
    ("iam_user_console_unused", G, "departed-engineer"): "fail",
    ("iam_user_console_unused", G, "new-joiner"): "pass",
    ("iam_user_console_unused", G, "group-member"): "not-applicable",
    ("secretsmanager_policy_not_public", E, "shared-with-anyone"): "fail",
    ("secretsmanager_policy_not_public", E, "shared-with-org"): "pass",
    ("kms_key_policy_not_public", E, "alias/open-to-anyone"): "fail",
    ("kms_key_policy_not_public", E, "alias/account-only"): "pass",
    ("s3_account_public_access_blocked", G, "account Block Public Access"): "fail",
    ("s3_bucket_not_public", E, f"public-assets-{ACCOUNT}"): "fail",
    ("s3_bucket_not_public", E, f"acl-public-{ACCOUNT}"): "fail",
    ("s3_bucket_not_public", E, f"private-data-{ACCOUNT}"): "pass",
    ("s3_bucket_not_public", E, f"blocked-site-{ACCOUNT}"): "pass",
    ("lambda_url_auth_required", E, "public-api"): "fail",
    ("lambda_url_auth_required", E, "public-hook"): "fail",
    ("lambda_url_auth_required", E, "private-api"): "pass",
    ("ec2_launch_template_imdsv2_required", E, "legacy-imdsv1"): "fail",
    ("ec2_launch_template_imdsv2_required", E, "batch-default"): "fail",  # no account default in this account
    ("ec2_launch_template_imdsv2_required", E, "web-imdsv2"): "pass",
    ("ec2_launch_template_imdsv2_required", E, "worker-fixed"): "pass",
    ("config_recorder_enabled", E, "AWS Config"): "pass",
    ("config_recorder_enabled", W, "AWS Config"): "fail",
    ("alert_on_iam_policy_changes", G, ACCOUNT): "fail",
    ("alert_on_access_key_creation", G, ACCOUNT): "fail",
    ("alert_on_root_activity", G, ACCOUNT): "fail",
    ("alert_on_logging_changes", G, ACCOUNT): "pass",
    ("budget_alert_configured", G, ACCOUNT): "fail",
}


def scan(capsys, out_dir):
    args = ["scan", "--out", str(out_dir), "--quiet"]
    for region in REGIONS:
        args += ["--region", region]
    for control in CONTROLS:
        args += ["--control", control]
    return run_cli(capsys, *args)


def test_every_weakness_fails_and_every_good_twin_passes(aws, out_dir, capsys, monkeypatch):
    seed = seed_prevention(REGIONS)
    with api_calls(monkeypatch) as made:
        result = scan(capsys, out_dir)
    assert result.code == 1, result.stderr
    assessment = load_assessment(out_dir)
    assert assessment["errors"] == []
    found = verdicts(assessment)
    for key, status in EXPECTED.items():
        assert found.get(key) == status, (key, found.get(key))
    by_key = {(f["check_id"], f["resource"]["name"]): f for f in assessment["findings"]}

    # The public function that holds a password and runs as an administrator is raised to critical.
    api = by_key[("lambda_url_auth_required", "public-api")]
    assert api["severity"] == "critical" and "admin-equivalent" in api["message"] and "password" in api["message"]
    assert by_key[("lambda_url_auth_required", "public-hook")]["severity"] == "high"
    assert "approved privileged role" in by_key[("iam_role_no_admin", "OrganizationAccountAccessRole")]["message"]
    assert "DeploySupport" in by_key[("iam_role_no_admin", "ci-deployer")]["message"]
    assert "IgnorePublicAcls, RestrictPublicBuckets" in \
        by_key[("s3_account_public_access_blocked", "account Block Public Access")]["message"]
    assert "RestrictPublicBuckets" in by_key[("s3_bucket_not_public", f"blocked-site-{ACCOUNT}")]["message"]
    alerts = {c: by_key[(c, ACCOUNT)]["message"] for c in CHECKS if c.startswith("alert_on")}
    assert "has no target" in alerts["alert_on_access_key_creation"]
    assert "no confirmed subscriber" in alerts["alert_on_iam_policy_changes"]
    assert "no enabled EventBridge rule" in alerts["alert_on_root_activity"]
    assert "EventBridge rule logging-changes" in alerts["alert_on_logging_changes"]
    west = next(f for f in assessment["findings"] if f["check_id"] == "config_recorder_enabled" and f["region"] == W)
    assert "no configuration recorder" in west["message"] and "no delivery channel" in west["message"]

    # One authorization-details read serves every IAM check; S3 Control reached the emulator.
    iam_calls = Counter(op for service, op, _ in made if service == "iam")
    assert iam_calls["GetAccountAuthorizationDetails"] == 1
    assert ("s3", "GetPublicAccessBlock") in {(s, op) for s, op, _ in made}

    # The planted password never leaves memory.
    for path in out_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert all(secret not in text for secret in seed.secrets), path


def test_a_clean_account_has_no_failing_finding_from_these_checks(aws, out_dir, capsys):
    seed_clean_account(REGIONS)
    result = scan(capsys, out_dir)
    assessment = load_assessment(out_dir)
    assert assessment["errors"] == [], result.stderr
    mine = [f for f in assessment["findings"] if f["check_id"] in CHECKS]
    failing = [(f["check_id"], f["resource"]["name"], f["message"]) for f in mine if f["status"] != "pass"
               and f["status"] != "not-applicable"]
    assert failing == []
    assert {f["check_id"] for f in mine} == set(CHECKS), "every check judged something"
