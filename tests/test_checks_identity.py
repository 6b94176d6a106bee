"""Unit tests of the identity checks and their parsing, over real-shaped inputs and plain fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate
from auditpack.library.checks import load_checks
from auditpack.models import Status
from auditpack.resources import iam as iam_collect
from auditpack.resources.ec2 import Instance
from auditpack.resources.iam import (
    AccessKey,
    CredentialReportNotReady,
    InstanceProfile,
    PasswordPolicy,
    parse_report,
    root_account,
    user_policies,
)
from auditpack.resources.iam_policy import full_admin_grants, withholds_escalation
from auditpack.resources.kms import KmsKey
from auditpack.resources.secretsmanager import Secret
from tests.helpers import inventory_of, run_check_on

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ACCT = "123456789012"

# The header and row shapes of a real credential report, including the root row the emulator lacks.
REPORT = """\
user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,\
mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,\
access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,\
access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,\
cert_2_last_rotated
<root_account>,arn:aws:iam::123456789012:root,2019-03-01T10:00:00+00:00,not_supported,2026-10-30T08:00:00+00:00,\
not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,2026-10-01T00:00:00+00:00,us-east-1,s3,false,N/A,\
N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::123456789012:user/alice,2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,\
N/A,false,true,2026-06-01T00:00:00+00:00,N/A,N/A,N/A,true,2026-10-20T12:30:45+00:00,2026-10-31T00:00:00+00:00,\
eu-west-1,sts,false,N/A,false,N/A
bob,arn:aws:iam::123456789012:user/bob,2023-05-05T00:00:00+00:00,false,N/A,N/A,N/A,false,false,\
2023-05-05T00:00:00+00:00,2023-06-01T00:00:00+00:00,us-east-1,ec2,true,2026-10-29T00:00:00+00:00,N/A,N/A,N/A,false,\
N/A,false,N/A
"""


def rows():
    return parse_report(REPORT, account=ACCT, evidence=("evidence/report.json",))


# --- credential report parsing ------------------------------------------------------------------------------


def test_report_parses_root_row_na_dates_and_two_keys():
    root, alice, bob = rows()
    assert root.is_root and root.arn == "arn:aws:iam::123456789012:root"
    assert not root.password_enabled  # not_supported
    assert root.keys[0].active and root.keys[0].last_used_service == "s3"
    assert alice.password_enabled and alice.password_last_used is None  # no_information
    assert [k.active for k in alice.keys] == [True, True]
    assert alice.keys[0].last_used is None and alice.keys[0].last_used_service is None  # N/A
    assert alice.keys[1].last_rotated == datetime(2026, 10, 20, 12, 30, 45, tzinfo=UTC)
    # Bob rotated: key 1 is off and was used long ago, key 2 is new and has never been used.
    assert not bob.keys[0].active and bob.keys[1].active and bob.keys[1].last_used is None


def test_report_reads_columns_by_name_not_position():
    header, *lines = REPORT.splitlines()
    cols = header.split(",")
    order = list(reversed(range(len(cols))))
    shuffled = "\n".join(",".join(line.split(",")[i] for i in order) for line in [header, *lines]) + "\n"
    assert parse_report(shuffled, account=ACCT) == parse_report(REPORT, account=ACCT)


# --- access keys --------------------------------------------------------------------------------------------


def key(user="alice", slot=1, created_days=10, used_days=None) -> AccessKey:
    return AccessKey(arn=f"arn:aws:iam::{ACCT}:user/{user}", name=user, account=ACCT, region="global",
                     user=user, slot=slot, created=NOW - timedelta(days=created_days),
                     last_used=None if used_days is None else NOW - timedelta(days=used_days))


def keys_inventory(*keys: AccessKey):
    inv = inventory_of(types={"iam.access_keys": list(keys)}, regions=("us-east-1",))
    inv.collected_at = NOW
    return inv


def test_key_rotation_one_result_per_user_naming_the_old_key():
    inv = keys_inventory(key(slot=1, created_days=120), key(slot=2, created_days=5))
    [result] = run_check_on("iam_access_key_rotated", inv)
    assert result.status is Status.FAIL
    assert result.resource.arn == f"arn:aws:iam::{ACCT}:user/alice"
    old, new = (f"{d:%Y-%m-%d}" for d in (NOW - timedelta(days=120), NOW - timedelta(days=5)))
    assert f"access key 1 (created {old}) is 120 days old" in result.message and new not in result.message
    assert run_check_on("iam_access_key_rotated", inv, access_key_max_age_days=180)[0].status is Status.PASS


def test_key_age_at_the_limit_passes():
    assert run_check_on("iam_access_key_rotated", keys_inventory(key(created_days=90)))[0].status is Status.PASS
    assert run_check_on("iam_access_key_rotated", keys_inventory(key(created_days=91)))[0].status is Status.FAIL


def test_never_used_key_counts_from_creation():
    fresh = run_check_on("iam_access_key_unused", keys_inventory(key(created_days=3)))
    assert fresh[0].status is Status.PASS and "never been used since its creation 3 days ago" in fresh[0].message
    stale = run_check_on("iam_access_key_unused", keys_inventory(key(created_days=200)))
    assert stale[0].status is Status.FAIL


def test_used_key_counts_from_last_use_and_threshold_is_a_parameter():
    inv = keys_inventory(key(created_days=400, used_days=100))
    [result] = run_check_on("iam_access_key_unused", inv)
    assert result.status is Status.FAIL and "last used 100 days ago" in result.message
    assert run_check_on("iam_access_key_unused", inv, credential_inactive_days=120)[0].status is Status.PASS


def test_key_is_named_by_slot_and_creation_date():
    [result] = run_check_on("iam_access_key_rotated", keys_inventory(key(slot=2, created_days=200)))
    assert f"access key 2 (created {NOW - timedelta(days=200):%Y-%m-%d}) is 200 days old" in result.message


# --- root ---------------------------------------------------------------------------------------------------


def root_inventory(root):
    inv = inventory_of(types={"iam.root": [root]}, regions=("us-east-1",))
    inv.collected_at = NOW
    return inv


def merged(summary: dict, report_rows=None):
    return root_account(rows() if report_rows is None else report_rows, summary,
                        arn=f"arn:aws:iam::{ACCT}:root", account=ACCT, evidence=("evidence/summary.json",))


def test_root_key_in_report_fails_even_when_summary_is_silent_or_stale():
    [result] = run_check_on("iam_root_no_access_keys", root_inventory(merged({"AccountAccessKeysPresent": 0})))
    assert result.status is Status.FAIL
    assert result.resource.arn == f"arn:aws:iam::{ACCT}:root"
    assert "active root key 1" in result.message and "last used 31 days ago" in result.message


def test_root_key_in_summary_fails_without_a_root_row():
    root = merged({"AccountAccessKeysPresent": 1, "AccountMFAEnabled": 1}, report_rows=[])
    assert run_check_on("iam_root_no_access_keys", root_inventory(root))[0].status is Status.FAIL


def test_root_without_keys_passes_and_names_both_sources():
    report = parse_report(REPORT.replace("not_supported,false,true,2020", "not_supported,false,false,2020"),
                          account=ACCT)
    [result] = run_check_on("iam_root_no_access_keys",
                            root_inventory(merged({"AccountAccessKeysPresent": 0}, report)))
    assert result.status is Status.PASS
    assert "account summary reports none" in result.message and "no active root key" in result.message


def test_root_mfa_needs_every_source_to_agree():
    report_says_no = merged({"AccountMFAEnabled": 1})  # the report's root row has mfa_active false
    [result] = run_check_on("iam_root_mfa", root_inventory(report_says_no))
    assert result.status is Status.FAIL and "mfa_active = false" in result.message
    with_mfa = parse_report(REPORT.replace("not_supported,not_supported,false,true", "not_supported,"
                                           "not_supported,true,true"), account=ACCT)
    [result] = run_check_on("iam_root_mfa", root_inventory(merged({"AccountMFAEnabled": 1}, with_mfa)))
    assert result.status is Status.PASS
    summary_only = merged({"AccountMFAEnabled": 0}, report_rows=[])  # what the emulator gives
    assert run_check_on("iam_root_mfa", root_inventory(summary_only))[0].status is Status.FAIL


def test_root_facts_missing_from_both_sources_are_an_error_not_a_pass():
    silent = merged({}, report_rows=[])
    assert run_check_on("iam_root_mfa", root_inventory(silent))[0].status is Status.ERROR
    assert run_check_on("iam_root_no_access_keys", root_inventory(silent))[0].status is Status.ERROR


# --- console MFA ----------------------------------------------------------------------------------------------


def test_console_mfa_judges_password_users_only_and_skips_root():
    inv = inventory_of(types={"iam.credential_report": rows()}, regions=("us-east-1",))
    inv.collected_at = NOW
    results = {r.resource.name: r for r in run_check_on("iam_user_console_mfa", inv)}
    assert set(results) == {"alice", "bob"}
    assert results["alice"].status is Status.FAIL and "never been used" in results["alice"].message
    assert results["bob"].status is Status.NOT_APPLICABLE


# --- administrative rights ------------------------------------------------------------------------------------


@pytest.mark.parametrize("statement, admin", [
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": ["arn:aws:s3:::x", "*"]}, True),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}, False),
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
    ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, False),
    ({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret/*"}, False),
    ({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}, False),  # PowerUserAccess
    ({"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"}, True),
    ({"Effect": "Allow", "NotAction": ["iam:Create*", "iam:Put*", "iam:Attach*"], "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
     True),
])
def test_full_admin_grants_reads_documents(statement, admin):
    assert bool(full_admin_grants({"Version": "2012-10-17", "Statement": [statement]})) is admin


def test_statement_may_be_a_single_object():
    grants = full_admin_grants({"Statement": {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}})
    assert grants == ["statement 'All' allows Action * on Resource *"]


def test_not_action_must_withhold_every_escalation_path():
    assert withholds_escalation(["IAM:*"])
    assert not withholds_escalation(["iam:Put*", "iam:Attach*"])


ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}


def gaad_pages():
    """Two pages as GetAccountAuthorizationDetails returns them: a user's group and policy on the next page."""
    encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C" \
              "%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"
    return [
        {"UserDetailList": [
            {"UserName": "ops", "Arn": f"arn:aws:iam::{ACCT}:user/ops", "GroupList": ["support"],
             "UserPolicyList": [], "AttachedManagedPolicies": []},
            {"UserName": "dev", "Arn": f"arn:aws:iam::{ACCT}:user/dev", "GroupList": [],
             "UserPolicyList": [{"PolicyName": "everything", "PolicyDocument": encoded}],
             "AttachedManagedPolicies": [], "PermissionsBoundary": {
                 "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": f"arn:aws:iam::{ACCT}:policy/Cap"}},
            {"UserName": "ro", "Arn": f"arn:aws:iam::{ACCT}:user/ro", "GroupList": [],
             "UserPolicyList": [], "AttachedManagedPolicies": [
                 {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]},
        ], "IsTruncated": True, "Marker": "m1"},
        {"GroupDetailList": [
            {"GroupName": "support", "GroupPolicyList": [{"PolicyName": "g-inline", "PolicyDocument": READ}],
             "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                          "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}],
         "Policies": [
             {"PolicyName": "AdministratorAccess", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
              "PolicyVersionList": [{"Document": READ, "IsDefaultVersion": False, "VersionId": "v1"},
                                    {"Document": ADMIN, "IsDefaultVersion": True, "VersionId": "v2"}]},
             {"PolicyName": "Cap", "Arn": f"arn:aws:iam::{ACCT}:policy/Cap",
              "PolicyVersionList": [{"Document": READ, "IsDefaultVersion": True, "VersionId": "v1"}]}],
         "IsTruncated": False},
    ]


def test_user_policies_resolve_groups_managed_defaults_encoded_inline_and_boundaries():
    users = {u.user: u for u in user_policies(gaad_pages(), account=ACCT, evidence=("e1", "e2"))}
    assert [p.source for p in users["ops"].policies] == [
        "group support inline policy g-inline",
        "group support managed policy arn:aws:iam::aws:policy/AdministratorAccess"]
    assert users["dev"].policies[0].document == ADMIN  # URL-encoded JSON decoded
    assert users["dev"].boundary is not None
    assert users["ro"].missing_policies == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    inv = inventory_of(types={"iam.user_policies": list(users.values())}, regions=("us-east-1",))
    results = {r.resource.name: r for r in run_check_on("iam_user_no_direct_admin", inv)}
    assert results["ops"].status is Status.FAIL and "group support managed policy" in results["ops"].message
    assert results["dev"].status is Status.PASS and "permissions boundary" in results["dev"].message
    assert results["ro"].status is Status.PASS and "were not returned" in results["ro"].message


# --- password policy ------------------------------------------------------------------------------------------


def policy(**kw) -> PasswordPolicy:
    return PasswordPolicy(arn=f"arn:aws:iam::{ACCT}:root", name="account password policy", account=ACCT,
                          region="global", **kw)


def judge_policy(p: PasswordPolicy, **params):
    inv = inventory_of(types={"iam.password_policy": [p]}, regions=("us-east-1",))
    [result] = run_check_on("iam_password_policy", inv, **params)
    return result


def test_password_policy_absent_weak_and_strong():
    assert judge_policy(policy(exists=False)).status is Status.FAIL
    weak = judge_policy(policy(exists=True, minimum_length=8, reuse_prevention=None))
    assert weak.status is Status.FAIL
    assert "minimum length is 8, below 14" in weak.message and "remembers 0 password(s), below 24" in weak.message
    assert judge_policy(policy(exists=True, minimum_length=14, reuse_prevention=24)).status is Status.PASS


def test_password_expiry_is_only_required_when_configured():
    strong = policy(exists=True, minimum_length=16, reuse_prevention=24, max_age_days=None)
    assert judge_policy(strong).status is Status.PASS
    result = judge_policy(strong, password_max_age_days=90)
    assert result.status is Status.FAIL and "passwords do not expire" in result.message
    assert judge_policy(policy(exists=True, minimum_length=16, reuse_prevention=24, max_age_days=60),
                        password_max_age_days=90).status is Status.PASS


# --- Secrets Manager ------------------------------------------------------------------------------------------


def secret(name="s", **kw) -> Secret:
    return Secret(arn=f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:{name}-abc", name=name, account=ACCT,
                  region="us-east-1", **kw)


def secrets_run(check_id: str, *secrets: Secret, **params):
    inv = inventory_of(types={"secretsmanager.secrets": list(secrets)}, regions=("us-east-1",))
    inv.collected_at = NOW
    return {r.resource.name: r for r in run_check_on(check_id, inv, **params)}


def test_secret_rotation_age_counts_from_creation_when_never_rotated_and_flags_overdue_schedule():
    results = secrets_run(
        "secretsmanager_rotated_within",
        secret("never", created=NOW - timedelta(days=100)),
        secret("recent", created=NOW - timedelta(days=400), last_rotated=NOW - timedelta(days=20),
               rotation_enabled=True, next_rotation=NOW + timedelta(days=10)),
        secret("stalled", created=NOW - timedelta(days=60), last_rotated=NOW - timedelta(days=40),
               rotation_enabled=True, next_rotation=NOW - timedelta(days=10)),
    )
    assert results["never"].status is Status.FAIL and "never been rotated since its creation 100" in \
        results["never"].message
    assert results["recent"].status is Status.PASS
    assert results["stalled"].status is Status.FAIL and "10 days overdue" in results["stalled"].message


def test_secret_rotation_enabled_and_unused():
    results = secrets_run("secretsmanager_rotation_enabled", secret("on", rotation_enabled=True, rotation_days=30),
                          secret("off"))
    assert results["on"].status is Status.PASS and results["off"].status is Status.FAIL
    results = secrets_run("secretsmanager_unused",
                          secret("read", created=NOW - timedelta(days=300), last_accessed=NOW - timedelta(days=5)),
                          secret("idle", created=NOW - timedelta(days=300), last_accessed=NOW - timedelta(days=95)),
                          secret("new", created=NOW - timedelta(days=3)))
    assert [results[n].status for n in ("read", "idle", "new")] == [Status.PASS, Status.FAIL, Status.PASS]


# --- KMS ------------------------------------------------------------------------------------------------------


def kms_key(name: str, **kw) -> KmsKey:
    base = dict(arn=f"arn:aws:kms:us-east-1:{ACCT}:key/{name}", name=name, account=ACCT, region="us-east-1",
                key_id=name, key_manager="CUSTOMER", key_state="Enabled", key_spec="SYMMETRIC_DEFAULT",
                origin="AWS_KMS")
    base.update(kw)
    return KmsKey(**base)


def test_kms_rotation_applies_only_to_enabled_customer_symmetric_aws_generated_keys():
    inv = inventory_of(types={"kms.keys": [
        kms_key("on", rotation_enabled=True, rotation_period_days=365), kms_key("off", rotation_enabled=False),
        kms_key("aws", key_manager="AWS"), kms_key("looks-customer", aliases=("alias/aws/s3",)),
        kms_key("rsa", key_spec="RSA_2048"), kms_key("hmac", key_spec="HMAC_256"), kms_key("ext", origin="EXTERNAL"),
        kms_key("hsm", origin="AWS_CLOUDHSM"), kms_key("gone", key_state="PendingDeletion"),
        kms_key("off-key", key_state="Disabled")]}, regions=("us-east-1",))
    results = {r.resource.name: r for r in run_check_on("kms_cmk_rotation_enabled", inv)}
    assert results["on"].status is Status.PASS and "every 365 days" in results["on"].message
    assert results["off"].status is Status.FAIL
    for name, why in [("aws", "AWS-managed"), ("looks-customer", "AWS-managed"), ("rsa", "asymmetric"),
                      ("hmac", "HMAC"), ("ext", "imported"), ("hsm", "custom key store"),
                      ("gone", "pending deletion"), ("off-key", "disabled")]:
        assert results[name].status is Status.NOT_APPLICABLE, name
        assert why in results[name].message, name


# --- EC2 ------------------------------------------------------------------------------------------------------


def instance(name: str, **kw) -> Instance:
    return Instance(arn=f"arn:aws:ec2:us-east-1:{ACCT}:instance/{name}", name=name, account=ACCT,
                    region="us-east-1", instance_id=name, state=kw.pop("state", "running"), **kw)


def test_imds_disabled_endpoint_passes_and_optional_tokens_fail():
    inv = inventory_of(types={"ec2.instances": [instance("off", http_endpoint="disabled", http_tokens="optional"),
                                                instance("v1", http_tokens="optional"),
                                                instance("v2", http_tokens="required")]}, regions=("us-east-1",))
    results = {r.resource.name: r.status for r in run_check_on("ec2_imdsv2_required", inv)}
    assert results == {"off": Status.PASS, "v1": Status.FAIL, "v2": Status.PASS}


def test_instance_profile_message_says_whether_credentials_come_from_a_role():
    profiles = [InstanceProfile(arn=f"arn:aws:iam::{ACCT}:instance-profile/apps/web", name="web", account=ACCT,
                                region="global", role_names=("web-role",)),
                InstanceProfile(arn=f"arn:aws:iam::{ACCT}:instance-profile/empty", name="empty", account=ACCT,
                                region="global")]
    inv = inventory_of(types={"ec2.instances": [
        instance("a", instance_profile_arn=f"arn:aws:iam::{ACCT}:instance-profile/apps/web"),
        instance("b", state="stopped"),
        instance("c", instance_profile_arn=f"arn:aws:iam::{ACCT}:instance-profile/empty"),
        instance("d", instance_profile_arn=f"arn:aws:iam::{ACCT}:instance-profile/deleted")],
        "iam.instance_profiles": profiles}, regions=("us-east-1",))
    results = {r.resource.name: r for r in run_check_on("ec2_instance_profile_attached", inv)}
    assert results["a"].status is Status.PASS
    assert "from role web-role through instance profile web" in results["a"].message
    assert results["b"].status is Status.FAIL and "stopped" in results["b"].message
    assert results["c"].status is Status.FAIL and "carries no role" in results["c"].message
    assert results["d"].status is Status.FAIL and "not found" in results["d"].message


# --- collectors over botocore's Stubber (what the emulator cannot show) --------------------------------------


def stub_context(tmp_path, service: str):
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    ctx = Gate(account=ACCT, region="global", partition="aws", client_factory=lambda s, r: client,
               recorder=EvidenceRecorder(tmp_path))
    return ctx, Stubber(client)


def test_credential_report_waits_for_completion_within_a_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(iam_collect, "POLL_DELAYS", (0, 0))
    ctx, stub = stub_context(tmp_path, "iam")
    stub.add_response("generate_credential_report", {"State": "STARTED"})
    stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", {"Content": REPORT.encode(), "ReportFormat": "text/csv",
                                                "GeneratedTime": NOW})
    with stub:
        found = iam_collect.credential_report(ctx)
    assert [r.user for r in found] == ["<root_account>", "alice", "bob"]
    assert found[0].report_generated == NOW
    assert "alice,arn:aws:iam" in (tmp_path / found[0].evidence[0]).read_text()  # evidence keeps the CSV readable

    ctx, stub = stub_context(tmp_path, "iam")
    for _ in range(3):
        stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    with stub, pytest.raises(CredentialReportNotReady):
        iam_collect.credential_report(ctx)


def test_authorization_details_follow_every_page(tmp_path):
    ctx, stub = stub_context(tmp_path, "iam")
    first, second = gaad_pages()  # on the wire, every document is URL-encoded JSON
    second["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyDocument"] = quote(json.dumps(READ))
    for policy in second["Policies"]:
        for version in policy["PolicyVersionList"]:
            version["Document"] = quote(json.dumps(version["Document"]))
    filters = {"Filter": ["User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"]}
    stub.add_response("get_account_authorization_details", first, filters)
    stub.add_response("get_account_authorization_details", second, {**filters, "Marker": "m1"})
    with stub:
        details = iam_collect.authorization_details(ctx)
    assert len(ctx.calls) == 2
    ctx.needed = {"iam.authorization_details": details}
    users = iam_collect.user_policies_collector(ctx)
    assert len(ctx.calls) == 2, "users (and roles) are derived from the same pages, with no call of their own"
    ops = next(u for u in users if u.user == "ops")
    assert len(ops.evidence) == 2 and any("AdministratorAccess" in p.source for p in ops.policies)


def test_access_keys_come_from_the_report_without_any_call(tmp_path):
    ctx, stub = stub_context(tmp_path, "iam")
    ctx.needed = {"iam.credential_report": rows()}
    with stub:
        found = iam_collect.access_keys(ctx)
    assert [(k.user, k.slot) for k in found] == [("alice", 1), ("alice", 2), ("bob", 2)]
    assert ctx.calls == []


def test_identity_checks_are_registered_with_exact_ids():
    expected = {"iam_access_key_rotated", "iam_access_key_unused", "iam_root_no_access_keys", "iam_root_mfa",
                "iam_user_console_mfa", "iam_user_no_direct_admin", "iam_password_policy",
                "secretsmanager_rotation_enabled", "secretsmanager_rotated_within", "secretsmanager_unused",
                "kms_cmk_rotation_enabled", "ec2_instance_profile_attached", "ec2_imdsv2_required"}
    assert expected <= set(load_checks())
