"""End to end against the emulator: a seeded account with keys of known ages, MFA, admin grants, secrets, KMS
keys and instances is scanned by the real CLI, and every identity verdict is asserted."""

from __future__ import annotations

from collections import Counter

import boto3

from auditpack.emulator.seeding.identity import seed_identity
from tests.helpers import api_calls, load_assessment, run_cli, verdicts

CONTROLS = ["AC-2", "AC-2(3)", "AC-6", "AC-6(5)", "IA-2(1)", "IA-2(2)", "IA-5", "IA-5(1)", "IA-5(7)", "SC-7",
            "SC-12", "SC-12(1)"]
G, R = "global", "us-east-1"

EXPECTED = {
    # access keys: resource is the user
    ("iam_access_key_rotated", G, "old-key"): "fail",
    ("iam_access_key_rotated", G, "fresh-key"): "pass",
    ("iam_access_key_rotated", G, "rotated"): "pass",  # the 300-day key is inactive; the new one is 5 days old
    ("iam_access_key_rotated", G, "two-keys"): "fail",
    ("iam_access_key_unused", G, "old-key"): "fail",  # never used: counts from creation 200 days ago
    ("iam_access_key_unused", G, "fresh-key"): "pass",
    ("iam_access_key_unused", G, "rotated"): "pass",  # rotated but not used yet: 5 days since creation
    ("iam_access_key_unused", G, "two-keys"): "fail",
    # the emulator has no root row and a summary fixed at 0: keys absent, MFA absent
    ("iam_root_no_access_keys", G, "root"): "pass",
    ("iam_root_mfa", G, "root"): "fail",
    ("iam_user_console_mfa", G, "console-mfa"): "pass",
    ("iam_user_console_mfa", G, "console-no-mfa"): "fail",
    ("iam_user_no_direct_admin", G, "ops-admin"): "fail",  # through a group's innocuously named policy
    ("iam_user_no_direct_admin", G, "inline-admin"): "fail",  # "*:*" in a list
    ("iam_user_no_direct_admin", G, "report-reader"): "pass",  # named AdministratorAccess, reads one bucket
    ("iam_user_no_direct_admin", G, "power-user"): "pass",  # NotAction iam:*
    ("iam_password_policy", G, "account password policy"): "fail",  # none set: NoSuchEntity
    ("secretsmanager_rotation_enabled", R, "db-password"): "pass",
    ("secretsmanager_rotation_enabled", R, "api-token"): "fail",
    ("secretsmanager_rotation_enabled", R, "stalled"): "pass",
    ("secretsmanager_rotated_within", R, "db-password"): "pass",
    ("secretsmanager_rotated_within", R, "api-token"): "fail",
    ("secretsmanager_rotated_within", R, "stalled"): "fail",
    ("secretsmanager_unused", R, "db-password"): "pass",
    ("secretsmanager_unused", R, "api-token"): "fail",
    ("secretsmanager_unused", R, "stalled"): "fail",
    ("kms_cmk_rotation_enabled", R, "alias/rotating"): "pass",
    ("kms_cmk_rotation_enabled", R, "alias/not-rotating"): "fail",
    ("kms_cmk_rotation_enabled", R, "alias/signing"): "not-applicable",
    ("kms_cmk_rotation_enabled", R, "alias/mac"): "not-applicable",
    ("kms_cmk_rotation_enabled", R, "alias/imported"): "not-applicable",
    ("kms_cmk_rotation_enabled", R, "alias/retiring"): "not-applicable",
    ("ec2_instance_profile_attached", R, "role-imdsv2"): "pass",
    ("ec2_instance_profile_attached", R, "keys-imdsv1"): "fail",
    ("ec2_instance_profile_attached", R, "stopped-no-profile"): "fail",
    ("ec2_instance_profile_attached", R, "profile-without-role"): "fail",
    ("ec2_imdsv2_required", R, "profile-without-role"): "pass",  # metadata endpoint disabled
    ("ec2_imdsv2_required", R, "role-imdsv2"): "pass",
    ("ec2_imdsv2_required", R, "keys-imdsv1"): "fail",
    ("ec2_imdsv2_required", R, "stopped-no-profile"): "fail",
}


def scan(capsys, out_dir, *controls: str):
    args = ["scan", "--region", R, "--out", str(out_dir), "--quiet"]
    for control in controls:
        args += ["--control", control]
    return run_cli(capsys, *args)


def test_identity_scan_gives_every_expected_verdict_with_minimal_calls(aws, out_dir, capsys, monkeypatch):
    seed = seed_identity(R)
    with api_calls(monkeypatch) as made:
        result = scan(capsys, out_dir, *CONTROLS)

    assert result.code == 1, result.stderr
    assessment = load_assessment(out_dir)
    assert assessment["errors"] == []
    found = verdicts(assessment)
    for key, status in EXPECTED.items():
        assert found.get(key) == status, (key, found.get(key))
    console_na = {k[2] for k, v in found.items() if k[0] == "iam_user_console_mfa" and v == "not-applicable"}
    assert "old-key" in console_na and "console-mfa" not in console_na

    # One credential report and one policy graph: no call per user.
    iam_calls = Counter(op for service, op, _ in made if service == "iam")
    assert set(iam_calls) == {"GenerateCredentialReport", "GetCredentialReport", "GetAccountSummary",
                              "GetAccountPasswordPolicy", "GetAccountAuthorizationDetails", "ListInstanceProfiles"}
    assert iam_calls["GetCredentialReport"] == iam_calls["GetAccountAuthorizationDetails"] == 1
    assert iam_calls["ListInstanceProfiles"] == 1
    assert iam_calls["GenerateCredentialReport"] <= 2  # the emulator answers STARTED, then COMPLETE
    assert Counter(op for s, op, _ in made if s == "secretsmanager") == {"ListSecrets": 1}
    kms_calls = Counter(op for s, op, _ in made if s == "kms")
    assert kms_calls["GetKeyRotationStatus"] == 2  # only the two keys where rotation applies

    # Messages name keys by slot and creation date, with their age, on the user's real ARN.
    by_key = {(f["check_id"], f["resource"]["name"]): f for f in assessment["findings"]}
    old = by_key[("iam_access_key_rotated", "old-key")]
    assert old["resource"]["arn"] == "arn:aws:iam::123456789012:user/old-key"
    assert "access key 1 (created " in old["message"] and "is 200 days old" in old["message"]
    assert old["details"]["keys"][0]["slot"] == 1
    two = by_key[("iam_access_key_unused", "two-keys")]
    assert "never been used since its creation 120 days ago" in two["message"] and "other active key" in two["message"]
    root = by_key[("iam_root_mfa", "root")]
    assert root["resource"]["arn"] == "arn:aws:iam::123456789012:root"
    admin = by_key[("iam_user_no_direct_admin", "ops-admin")]["message"]
    assert "group break-glass managed policy" in admin and "OperationsSupport" in admin
    stalled = by_key[("secretsmanager_rotated_within", "stalled")]["message"]
    assert "overdue" in stalled
    assert "HMAC" in by_key[("kms_cmk_rotation_enabled", "alias/mac")]["message"]
    assert "not from a role" in by_key[("ec2_instance_profile_attached", "keys-imdsv1")]["message"]
    assert "from role app-server through instance profile app-server" in \
        by_key[("ec2_instance_profile_attached", "role-imdsv2")]["message"]
    assert "carries no role" in by_key[("ec2_instance_profile_attached", "profile-without-role")]["message"]

    # Controls aggregate the verdicts; IA-5 keeps both values of NIST's per-authenticator-type period.
    controls = {c["id"]: c for c in assessment["controls"]}
    assert {c: controls[c]["status"] for c in CONTROLS} == {c: "not-satisfied" for c in CONTROLS}
    ia5 = controls["IA-5"]["parameters"]
    assert ia5["ia-05_odp.01:access_key_max_age_days"]["value"] == 90
    assert ia5["ia-05_odp.01:secret_max_age_days"]["odp_id"] == "ia-05_odp.01"
    assert controls["AC-2(3)"]["parameters"]["ac-02.03_odp.02"]["parameter"] == "credential_inactive_days"

    # Every finding cites evidence that exists; "no password policy" is evidenced by the recorded error.
    for finding in assessment["findings"]:
        assert finding["evidence"], finding["check_id"]
        assert all((out_dir / ref).is_file() for ref in finding["evidence"]), finding["check_id"]
    policy_evidence = by_key[("iam_password_policy", "account password policy")]["evidence"]
    assert "NoSuchEntity" in (out_dir / policy_evidence[0]).read_text()

    # Secret access keys, clear key ids and secret values never reach any file of the pack.
    secrets = [*seed.secret_keys, *seed.secret_values, *(k for ids in seed.key_ids.values() for k in ids)]
    for path in out_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for value in secrets:
                assert value not in text, f"{path.relative_to(out_dir)} holds a seeded secret"


def test_parameters_from_config_change_the_verdicts(aws, out_dir, capsys, tmp_path):
    from auditpack.emulator.seeding.identity import IdentitySeed, user_with_keys

    user_with_keys(IdentitySeed(), "old-key", (200, None, True))
    boto3.client("iam").update_account_password_policy(MinimumPasswordLength=16, PasswordReusePrevention=24)
    config = tmp_path / "auditpack.yaml"
    config.write_text("parameters:\n  access_key_max_age_days: 365\n  credential_inactive_days: 365\n")
    result = run_cli(capsys, "scan", "--region", R, "--out", str(out_dir), "--quiet", "--config", str(config),
                     "--control", "IA-5", "--control", "AC-2(3)", "--control", "IA-5(1)")
    assert result.code == 0, result.stderr + result.stdout
    assessment = load_assessment(out_dir)
    found = verdicts(assessment)
    assert found[("iam_access_key_rotated", G, "old-key")] == "pass"
    assert found[("iam_access_key_unused", G, "old-key")] == "pass"
    assert found[("iam_password_policy", G, "account password policy")] == "pass"
    ia5 = {c["id"]: c for c in assessment["controls"]}["IA-5"]["parameters"]
    assert ia5["ia-05_odp.01:access_key_max_age_days"]["value"] == 365
    assert ia5["ia-05_odp.01:access_key_max_age_days"]["source"] == "config"
    assert ia5["ia-05_odp.01:secret_max_age_days"]["source"] == "default"
    assert assessment["parameters"]["credential_inactive_days"] == 365
