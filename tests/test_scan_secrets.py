"""End to end against the emulator: every kind of leak fails, every good practice passes, no value escapes.

The proof that secrets never leave memory: after the scan, every file of the pack, the CLI's stdout and
stderr and the log records are searched for each planted value.
"""

from __future__ import annotations

import logging
import sys

import pytest

from auditpack.emulator.seeding.secrets import seed_secrets
from tests.helpers import api_calls, load_assessment, run_cli, verdicts

SCAN = ("scan", "--region", "us-east-1", "--quiet", "--control", "IA-5(7)")
SECRETS_CHECKS = ("lambda_env_no_aws_keys", "lambda_env_no_secrets", "ec2_user_data_no_secrets",
                  "ecs_task_env_no_secrets", "ssm_parameter_secrets_secure", "cloudformation_outputs_no_secrets",
                  "codebuild_env_no_secrets")


@pytest.fixture(autouse=True)
def secrets_only(tmp_path_factory, monkeypatch):
    """IA-5(7) also cites ec2_instance_profile_attached; these tests judge the secrets checks alone, so they
    scan with a user control folder that replaces IA-5(7) by its secrets checks (as an organization may)."""
    folder = tmp_path_factory.mktemp("controls")
    (folder / "ia-5.7.yaml").write_text(
        "id: IA-5(7)\noscal_id: ia-5.7\ntitle: No Embedded Unencrypted Static Authenticators\n"
        "family: Identification and Authentication\nsummary: Secrets checks only.\n"
        f"checks: [{', '.join(SECRETS_CHECKS)}]\n")
    monkeypatch.setattr(sys.modules[__name__], "SCAN", (*SCAN, "--controls-dir", str(folder)))

EXPECTED = {
    ("lambda_env_no_aws_keys", "payments-api"): "fail",
    ("lambda_env_no_aws_keys", "orders-api"): "fail",  # only published version 1 holds the key
    ("lambda_env_no_aws_keys", "reports"): "pass",
    ("lambda_env_no_aws_keys", "good-fn"): "pass",
    ("lambda_env_no_aws_keys", "docs-example"): "pass",  # AWS's documentation key: informational
    ("lambda_env_no_secrets", "payments-api"): "pass",
    ("lambda_env_no_secrets", "orders-api"): "pass",
    ("lambda_env_no_secrets", "reports"): "fail",
    ("lambda_env_no_secrets", "good-fn"): "pass",
    ("lambda_env_no_secrets", "docs-example"): "pass",
    ("ec2_user_data_no_secrets", "leaky-web"): "fail",  # gzip'd user data
    ("ec2_user_data_no_secrets", "good-web"): "pass",
    ("ec2_user_data_no_secrets", "workers"): "fail",  # launch template version 1
    ("ec2_user_data_no_secrets", "clean-workers"): "pass",
    ("ecs_task_env_no_secrets", "billing:1"): "fail",
    ("ecs_task_env_no_secrets", "catalog:1"): "pass",  # secrets/valueFrom
    ("ssm_parameter_secrets_secure", "/app/db/password"): "fail",
    ("ssm_parameter_secrets_secure", "/app/db/password-secure"): "pass",
    ("ssm_parameter_secrets_secure", "/app/log-level"): "pass",
    ("cloudformation_outputs_no_secrets", "legacy-db"): "fail",
    ("cloudformation_outputs_no_secrets", "modern-app"): "pass",
    ("codebuild_env_no_secrets", "site-build"): "fail",
    ("codebuild_env_no_secrets", "api-build"): "pass",
}


def _by_name(assessment: dict) -> dict[tuple[str, str], str]:
    return {(check, name): status for (check, _region, name), status in verdicts(assessment).items()}


def test_every_leak_fails_every_good_practice_passes_and_no_value_escapes(aws, out_dir, capsys, caplog):
    planted = seed_secrets("us-east-1")
    caplog.set_level(logging.DEBUG, logger="auditpack")

    result = run_cli(capsys, *SCAN, "--out", str(out_dir))

    assert result.code == 1, result.stderr
    assessment = load_assessment(out_dir)
    assert _by_name(assessment) == EXPECTED
    findings = {(f["check_id"], f["resource"]["name"]): f for f in assessment["findings"]}
    payments = findings[("lambda_env_no_aws_keys", "payments-api")]
    assert payments["message"].startswith("environment variable AWS_ACCESS_KEY_ID of function payments-api "
                                          "(us-east-1) holds an AWS access key id; the key belongs to IAM user "
                                          "ci-deployer, active")
    assert "AWS_SECRET_ACCESS_KEY holds an AWS secret access key" in payments["message"]
    assert payments["resource"]["arn"].endswith(":function:payments-api")
    secret = next(s for s in payments["details"]["secrets"] if s["category"] == "aws_secret_access_key")
    assert secret["fingerprint"].startswith("hmac-sha256:") and "…" in secret["masked"]
    assert "(in version 1)" in findings[("lambda_env_no_aws_keys", "orders-api")]["message"]
    assert "informational" in findings[("lambda_env_no_aws_keys", "docs-example")]["message"]
    assert {c["id"]: c["status"] for c in assessment["controls"]} == {"IA-5(7)": "not-satisfied"}

    texts = {str(p.relative_to(out_dir)): p.read_bytes().decode("utf-8", "replace")
             for p in out_dir.rglob("*") if p.is_file()}
    texts["stdout"], texts["stderr"] = result.stdout, result.stderr
    texts["log"] = "\n".join(r.getMessage() for r in caplog.records)
    assert len(planted.secrets) >= 12
    assert sum(name.startswith("evidence/") for name in texts) > 20, "the search must cover the evidence"
    for value in planted.secrets:
        leaked = [name for name, text in texts.items() if value in text]
        assert not leaked, f"a planted secret ({value[:4]}…) reached {leaked}"


def test_a_source_that_cannot_be_read_errors_only_its_own_check(aws, out_dir, capsys, monkeypatch):
    seed_secrets("us-east-1")
    with api_calls(monkeypatch, deny={"ListTaskDefinitions": "AccessDeniedException"}):
        result = run_cli(capsys, *SCAN, "--out", str(out_dir))

    found = _by_name(load_assessment(out_dir))
    assert {v for (c, _n), v in found.items() if c == "ecs_task_env_no_secrets"} == {"error"}
    others = {k: v for k, v in found.items() if k[0] != "ecs_task_env_no_secrets"}
    assert others == {k: v for k, v in EXPECTED.items() if k[0] != "ecs_task_env_no_secrets"}
    assert result.code == 1


def test_a_failed_key_owner_lookup_degrades_the_message_not_the_verdict(aws, out_dir, capsys, monkeypatch):
    seed_secrets("us-east-1")
    with api_calls(monkeypatch, deny={"GetAccessKeyLastUsed": "AccessDenied"}):
        run_cli(capsys, *SCAN, "--out", str(out_dir))

    assessment = load_assessment(out_dir)
    payments = next(f for f in assessment["findings"]
                    if f["check_id"] == "lambda_env_no_aws_keys" and f["resource"]["name"] == "payments-api")
    assert payments["status"] == "fail"
    assert "owner unknown: the IAM lookup failed with AccessDenied" in payments["message"]


def test_a_broken_detector_makes_every_secrets_check_an_error(aws, out_dir, capsys, monkeypatch, tmp_path):
    from auditpack.secrets import kingfisher

    seed_secrets("us-east-1")
    broken = tmp_path / "kingfisher"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o700)
    monkeypatch.setattr(kingfisher, "binary", lambda: broken)

    result = run_cli(capsys, *SCAN, "--out", str(out_dir))

    found = _by_name(load_assessment(out_dir))
    assert set(found) == set(EXPECTED)
    # SecureString parameters need no detector: they pass on their type alone.
    assert {k: v for k, v in found.items() if v != "error"} == {
        ("ssm_parameter_secrets_secure", "/app/db/password-secure"): "pass"}
    assert result.code == 3, "nothing failed, but nothing could be judged"


def test_debug_logging_never_carries_a_planted_secret(aws, out_dir, capsys, caplog):
    """--debug is for auditpack's own detail: botocore's wire logs (which print response bodies) stay off."""
    planted = seed_secrets("us-east-1")
    caplog.set_level(logging.DEBUG)

    result = run_cli(capsys, "--debug", *SCAN, "--out", str(out_dir))

    assert result.code == 1, result.stderr
    logged = "\n".join(r.getMessage() for r in caplog.records) + result.stdout + result.stderr
    assert not any(r.name.startswith(("botocore", "urllib3")) and r.levelno < logging.WARNING
                   for r in caplog.records)
    for value in planted.secrets:
        assert value not in logged, f"a planted secret ({value[:4]}…) reached the debug log"
