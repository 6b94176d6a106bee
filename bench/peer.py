"""The peer: the leading open-source scanner (Prowler) on the same seeded emulator, with the equivalent checks.

``make bench-peer`` installs Prowler from the package index into its own virtual environment,
``bench/.peer-venv`` (its dependencies would clash with ours, and the product must never depend on it).
``bench/run.py`` calls ``measure_peer`` when that environment holds Prowler: after our full pack at each size,
the peer scans the same account, its checks restricted to the ones that judge what ours judge, writing OCSF
only. Without the environment the bench prints its own figures and says the peer was not measured.

Every Prowler check id named here is verified against the installed version before the run (a check folder
with its metadata file): a renamed or removed check is printed as missing and left out, never guessed.
The peer talks only to the emulator (``AWS_ENDPOINT_URL``); any other HTTP(S) request it tries goes to a proxy
address on loopback where nothing listens, so it fails at once instead of leaving the machine.

The emulator lacks some operations the peer asks for (moto answers HTTP 500, which botocore retries with
backoff). Those are counted and printed, and the peer runs with retries off (``--aws-retries-max-attempts 0``),
so an emulator gap never slows it: a choice in the peer's favour (our scan made no retry either).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_VENV = ROOT / "bench" / ".peer-venv"
PEER_NAME = "Prowler"
# Where nothing listens: the peer's requests to anywhere but the emulator fail at once (NO_PROXY lets the
# emulator's loopback address through). Port 9 is "discard", never served here.
DEAD_PROXY = "http://127.0.0.1:9"

# Our check id -> the Prowler checks that judge the same thing (by their metadata and code, read for this).
# An empty tuple: Prowler has no check for it; it is listed, so the comparison's coverage is plain.
EQUIVALENT: dict[str, tuple[str, ...]] = {
    "ec2_instance_profile_attached": ("ec2_instance_profile_attached",),
    "ec2_imdsv2_required": ("ec2_instance_imdsv2_enabled",),
    "ec2_user_data_no_secrets": ("ec2_instance_secrets_user_data", "ec2_launch_template_no_secrets"),
    "iam_access_key_rotated": ("iam_rotate_access_key_90_days",),
    "iam_access_key_unused": ("iam_user_accesskey_unused",),
    "iam_root_no_access_keys": ("iam_no_root_access_key",),
    "iam_root_mfa": ("iam_root_mfa_enabled",),
    "iam_user_console_mfa": ("iam_user_mfa_enabled_console_access",),
    # ours evaluates every policy reaching a user: attached, inline, and through its groups
    "iam_user_no_direct_admin": ("iam_user_administrator_access_policy", "iam_group_administrator_access_policy",
                                 "iam_inline_policy_no_administrative_privileges"),
    # ours: minimum length, reuse prevention, maximum age (no character classes)
    "iam_password_policy": ("iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24",
                            "iam_password_policy_expires_passwords_within_90_days_or_less"),
    "kms_cmk_rotation_enabled": ("kms_cmk_rotation_enabled",),
    "cloudtrail_multi_region_logging": ("cloudtrail_multi_region_enabled_logging_management_events",),
    "cloudtrail_log_file_validation": ("cloudtrail_log_file_validation_enabled",),
    "cloudtrail_kms_encrypted": ("cloudtrail_kms_encryption_enabled",),
    "cloudtrail_cloudwatch_delivery": ("cloudtrail_cloudwatch_logging_enabled",),
    "guardduty_enabled": ("guardduty_is_enabled",),
    "guardduty_no_high_findings": ("guardduty_no_high_severity_findings",),
    "lambda_env_no_aws_keys": ("awslambda_function_no_secrets_in_variables",),
    "lambda_env_no_secrets": ("awslambda_function_no_secrets_in_variables",),
    "ecs_task_env_no_secrets": ("ecs_task_definitions_no_environment_secrets",),
    "ssm_parameter_secrets_secure": (),  # Prowler reads SSM documents for secrets, not parameters
    "cloudformation_outputs_no_secrets": ("cloudformation_stack_outputs_find_secrets",),
    "codebuild_env_no_secrets": ("codebuild_project_no_secrets_in_variables",),
    "autoscaling_launch_config_no_secrets": ("autoscaling_find_secrets_ec2_launch_configuration",),
    "secretsmanager_rotation_enabled": ("secretsmanager_automatic_rotation_enabled",),
    "secretsmanager_rotated_within": ("secretsmanager_secret_rotated_periodically",),
    "secretsmanager_unused": ("secretsmanager_secret_unused",),
    # issue 15: the secret sources it also reads; tags, templates and credential files it does not
    "lambda_code_no_secrets": ("awslambda_function_no_secrets_in_code",),
    "lambda_layer_no_secrets": ("awslambda_layer_no_secrets_in_content",),
    "ssm_document_no_secrets": ("ssm_document_secrets",),
    "batch_job_definition_no_secrets": ("batch_job_definition_no_secrets",),
    "stepfunctions_definition_no_secrets": ("stepfunctions_statemachine_no_secrets_in_definition",),
    "glue_job_no_secrets": ("glue_etl_jobs_no_secrets_in_arguments",),
    "glue_connection_no_plaintext_password": ("glue_catalog_connection_no_secrets",),
    "sagemaker_lifecycle_no_secrets": ("sagemaker_notebook_instance_no_secrets",),
    "apigateway_stage_variables_no_secrets": ("apigateway_restapi_no_secrets_in_stage_variables",),
    "codebuild_source_no_credentials": ("codebuild_project_source_repo_url_no_sensitive_credentials",),
    "elasticbeanstalk_env_no_secrets": ("elasticbeanstalk_environment_no_secrets_in_configuration",),
    "cloudformation_template_no_secrets": (),
    "resource_tags_no_secrets": (),
    "s3_no_credential_files": (),
    # issue 16: leak response reads CloudTrail's own records; the peer has no equivalent
    "iam_quarantined_key_inactive": (),
    "leaked_key_no_suspicious_activity": (),
    # issue 17: least privilege beyond users, exposure, alerting
    "iam_role_no_admin": ("iam_role_administratoraccess_policy", "iam_inline_policy_no_administrative_privileges"),
    "iam_user_no_attached_policies": ("iam_policy_attached_only_to_group_or_roles",),
    "iam_role_trust_not_public": (),
    "iam_user_console_unused": ("iam_user_console_access_unused",),
    "secretsmanager_policy_not_public": ("secretsmanager_not_publicly_accessible",),
    "kms_key_policy_not_public": ("kms_key_not_publicly_accessible",),
    "s3_account_public_access_blocked": ("s3_account_level_public_access_blocks",),
    "s3_bucket_not_public": ("s3_bucket_public_access", "s3_bucket_public_list_acl", "s3_bucket_public_write_acl"),
    "lambda_url_auth_required": ("awslambda_function_url_public",),
    "ec2_launch_template_imdsv2_required": ("ec2_launch_template_imdsv2_required",),
    "config_recorder_enabled": ("config_recorder_all_regions_enabled",),
    "alert_on_iam_policy_changes": ("cloudwatch_log_metric_filter_policy_changes",),
    "alert_on_access_key_creation": (),
    "alert_on_root_activity": ("cloudwatch_log_metric_filter_root_usage",),
    "alert_on_logging_changes": (
        "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",),
    "budget_alert_configured": (),
}


@dataclass
class PeerPlan:
    """Which Prowler checks run, for which of ours, and what could not be matched."""

    version: str
    checks: list[str]  # verified to exist in the installed version, each once
    missing: list[str] = field(default_factory=list)  # named in EQUIVALENT, absent from the installed version
    unmatched: list[str] = field(default_factory=list)  # our checks without an equivalent (or whose all are missing)

    def describe(self, ours: int) -> str:
        line = (f"{PEER_NAME} {self.version}: {len(self.checks)} checks equivalent to {ours - len(self.unmatched)}"
                f" of our {ours}")
        if self.unmatched:
            line += f"; no equivalent for {', '.join(self.unmatched)}"
        if self.missing:
            line += f"; named but not in this version: {', '.join(self.missing)}"
        return line


def executable(venv: Path = PEER_VENV) -> Path | None:
    """The peer's console script, or None when ``make bench-peer`` has not installed it."""
    exe = venv / "bin" / "prowler"
    return exe if exe.is_file() else None


def installed_version(venv: Path = PEER_VENV) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import importlib.metadata as m; print(m.version('prowler'))"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def installed_checks(venv: Path = PEER_VENV) -> set[str]:
    """Every AWS check id of the installed Prowler: each is a folder holding ``<id>.metadata.json``."""
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import prowler, pathlib; print(pathlib.Path(prowler.__file__).parent)"],
                          capture_output=True, text=True, check=True)
    services = Path(done.stdout.strip()) / "providers" / "aws" / "services"
    return {m.name.removesuffix(".metadata.json") for m in services.glob("*/*/*.metadata.json")
            if m.parent.name == m.name.removesuffix(".metadata.json")}


def plan(ours: list[str], available: set[str], version: str,
         equivalent: dict[str, tuple[str, ...]] = EQUIVALENT) -> PeerPlan:
    """The peer's check list for our registered checks ``ours``, each id verified against ``available``."""
    checks: dict[str, None] = {}
    missing: dict[str, None] = {}
    unmatched = []
    for check_id in ours:
        found = [c for c in equivalent.get(check_id, ()) if c in available]
        missing.update(dict.fromkeys(c for c in equivalent.get(check_id, ()) if c not in available))
        if not found:
            unmatched.append(check_id)
        checks.update(dict.fromkeys(found))
    return PeerPlan(version, list(checks), list(missing), unmatched)


def command(exe: Path, peer: PeerPlan, regions: tuple[str, ...], out: Path) -> list[str]:
    """The peer's command line: our regions, the equivalent checks, OCSF output only, no banner."""
    return [str(exe), "aws", "--checks", *peer.checks, "--filter-region", *regions,
            "--output-formats", "json-ocsf", "--output-directory", str(out), "--output-filename", "peer",
            "--no-banner", "--aws-retries-max-attempts", "0"]


def environment(emulator_env: dict[str, str], home: Path) -> dict[str, str]:
    """The emulator's environment, a private home (the peer writes its own config and cache), and the dead
    proxy for every destination but loopback."""
    return {**emulator_env, "HOME": str(home), "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY,
            "http_proxy": DEAD_PROXY, "https_proxy": DEAD_PROXY, "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost"}


@dataclass
class PeerRun:
    wall: float
    peak_mb: float
    code: int
    findings: int
    by_check: Counter[str]
    status: Counter[str]
    unimplemented: Counter[str] = field(default_factory=Counter)  # operations the emulator could not answer


class UnimplementedRequests(logging.Filter):
    """Counts the emulator's "not implemented" errors and keeps their tracebacks out of the bench's output.

    moto raises ``NotImplementedError`` for an operation it lacks, and werkzeug logs each on the ``werkzeug``
    logger as one message holding the rendered traceback (40 lines); the count by operation is what a reader
    needs. Any other server error is still shown.
    """

    MISSING = re.compile(r"^NotImplementedError: The (\w+) action has not been implemented$", re.MULTILINE)

    def __init__(self) -> None:
        super().__init__()
        self.seen: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        missing = self.MISSING.search(record.getMessage())
        if missing:
            self.seen[missing.group(1)] += 1
            return False
        return True


def read_findings(out: Path) -> tuple[Counter[str], Counter[str]]:
    """Findings of the peer's OCSF file(s), by Prowler check id and by status: proof that it judged the
    account, not that it started and stopped."""
    by_check: Counter[str] = Counter()
    status: Counter[str] = Counter()
    for path in sorted(out.rglob("*.ocsf.json")):
        for finding in json.loads(path.read_text() or "[]"):
            by_check[finding.get("metadata", {}).get("event_code", "?")] += 1
            status[finding.get("status_code", "?")] += 1
    return by_check, status


def measure_peer(run_child: Callable[..., tuple[int, float, float, float, str]], exe: Path, peer: PeerPlan,
                 regions: tuple[str, ...], emulator_env: dict[str, str], work: Path) -> PeerRun:
    """One peer scan as a child process, timed and its peak sampled like ours; raises when it failed or
    judged nothing (a peer that stopped early would make any ratio a lie)."""
    out = work / "peer-out"
    home = work / "peer-home"
    home.mkdir(exist_ok=True)
    unimplemented = UnimplementedRequests()
    server_log = logging.getLogger("werkzeug")
    server_log.addFilter(unimplemented)
    try:
        code, wall, peak, _together, stderr = run_child(command(exe, peer, regions, out),
                                                        environment(emulator_env, home))
    finally:
        server_log.removeFilter(unimplemented)
    if code not in (0, 3):  # 3: the scan ran and some check failed
        raise RuntimeError(f"{PEER_NAME} failed with exit {code}: {stderr.strip()[-2000:]}")
    by_check, status = read_findings(out)
    if not by_check:
        raise RuntimeError(f"{PEER_NAME} wrote no finding (exit {code}): {stderr.strip()[-2000:]}")
    return PeerRun(wall, peak, code, sum(by_check.values()), by_check, status, unimplemented.seen)
