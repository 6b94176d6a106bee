"""A leaked key's blast radius and activity, end to end: seeded users, policies, keys in Lambda environments and
CloudTrail history, scanned through the real CLI against the emulator."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from auditpack.emulator.seeding.activity import Caller, record, seed_history
from auditpack.resources.iam_policy import CAPABILITIES, CAPABILITY_ACTIONS, ESCALATION_ACTIONS
from tests.helpers import api_calls, load_assessment, run_cli
from tests.secretsearch import assert_never_written

REGION = "us-east-1"
ROLE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}
ONE_ACTION = {  # one action of each class, granted alone
    "admin-equivalent": "*", "create-principals-or-keys": "iam:CreateAccessKey", "pass-role": "iam:PassRole",
    "launch-compute": "ec2:RunInstances", "read-secrets": "secretsmanager:GetSecretValue",
    "read-data": "rds:CreateDBSnapshot", "kms-decrypt": "kms:Decrypt",
    "disable-logging-or-detection": "cloudtrail:StopLogging",
}


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", "def h(e, c):\n    return 1\n")
    return buffer.getvalue()


class Story:
    """Users with policies whose keys leak into Lambda environments, one function per user."""

    def __init__(self) -> None:
        self.iam = boto3.client("iam", region_name=REGION)
        self.fn = boto3.client("lambda", region_name=REGION)
        self.role = self.iam.create_role(RoleName="fn", AssumeRolePolicyDocument=ROLE_TRUST)["Role"]["Arn"]
        self.account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
        self.secrets: list[str] = []
        self.keys: dict[str, str] = {}

    def leak(self, name: str, *inline: str, boundary: str | None = None, group: str | None = None) -> str:
        self.iam.create_user(UserName=name)
        for i, document in enumerate(inline):
            self.iam.put_user_policy(UserName=name, PolicyName=f"p{i}", PolicyDocument=document)
        if boundary:
            arn = self.iam.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=boundary)["Policy"]["Arn"]
            self.iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=arn)
        if group:
            self.iam.create_group(GroupName=f"{name}-group")
            self.iam.put_group_policy(GroupName=f"{name}-group", PolicyName="g", PolicyDocument=group)
            self.iam.add_user_to_group(GroupName=f"{name}-group", UserName=name)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        self.secrets += [key["AccessKeyId"], key["SecretAccessKey"]]
        self.keys[name] = key["AccessKeyId"]
        self.fn.create_function(FunctionName=name, Runtime="python3.12", Role=self.role, Handler="h.h",
                                Code={"ZipFile": _zip()}, Environment={"Variables": {
                                    "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                    "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}})
        return key["AccessKeyId"]

    def caller(self, name: str, ip: str, agent: str = "python-requests/2.31") -> Caller:
        return Caller(self.account, name, self.keys[name], ip, agent)


def scan(out, capsys, *regions: str, control: str = "IA-5(7)", formats: str = "json"):
    args = ["scan", "--quiet", "--control", control, "--out", str(out), "--format", formats]
    for region in regions or (REGION,):
        args += ["--region", region]
    return run_cli(capsys, *args)


def findings_of(out, check_id: str) -> dict[str, dict]:
    return {f["resource"]["name"]: f for f in load_assessment(out)["findings"] if f["check_id"] == check_id}


def held(finding: dict) -> set[str]:
    [radius] = finding["details"]["blast_radius"]
    return {c["name"] for c in radius["capabilities"]}


def test_each_capability_class_is_granted_and_denied_by_policy_documents(aws, out_dir, capsys):
    story = Story()
    expected: dict[str, set[str]] = {}
    for name, action in ONE_ACTION.items():
        story.leak(f"grants-{name}", doc({"Effect": "Allow", "Action": action, "Resource": "*"}))
        expected[f"grants-{name}"] = set(CAPABILITIES) if name == "admin-equivalent" else {name}
    for name, actions in CAPABILITY_ACTIONS.items():  # every other class survives a Deny on this one
        story.leak(f"denies-{name}", doc(ADMIN), doc({"Effect": "Deny", "Action": list(actions), "Resource": "*"}))
        # an administrator who keeps the escalation actions can lift the Deny: still admin-equivalent
        escalates = set(actions) & set(ESCALATION_ACTIONS)
        expected[f"denies-{name}"] = set(CAPABILITIES) - {name} - ({"admin-equivalent"} if escalates else set())
    story.leak("denies-everything", doc(ADMIN), doc({"Effect": "Deny", "Action": "*", "Resource": "*"}))
    expected["denies-everything"] = set()
    story.leak("not-action-power-user", doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*",
                                                                             "account:*"], "Resource": "*"}))
    expected["not-action-power-user"] = {"launch-compute", "read-secrets", "read-data", "kms-decrypt",
                                         "disable-logging-or-detection"}
    story.leak("bounded-admin", doc(ADMIN), boundary=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    expected["bounded-admin"] = {"read-data"}
    story.leak("via-group", group=doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}))
    expected["via-group"] = {"kms-decrypt"}
    story.leak("conditional", doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                                   "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}))
    expected["conditional"] = {"pass-role"}

    result = scan(out_dir, capsys)

    assert result.code == 1, result.stderr
    found = findings_of(out_dir, "lambda_env_no_aws_keys")
    assert {name: held(found[name]) for name in expected} == expected
    [bounded] = found["bounded-admin"]["details"]["blast_radius"]
    assert any(s.startswith("permissions boundary") for s in bounded["evaluated"])
    [group] = found["via-group"]["details"]["blast_radius"][0]["capabilities"]
    assert group["granted_by"] == ["group via-group-group inline policy g, statement 1"]
    assert found["conditional"]["details"]["blast_radius"][0]["capabilities"][0]["conditional"] is True
    [denied] = found["denies-pass-role"]["details"]["blast_radius"]
    assert "admin-equivalent" not in {c["name"] for c in denied["capabilities"]}, "PassRole is an escalation action"
    assert_never_written(story.secrets, out_dir, texts=[result.stdout, result.stderr])


def test_every_flagged_event_is_found_and_named(aws, out_dir, capsys):
    story = Story()
    story.leak("ci-deployer", doc({"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}))
    created_key = "AKIA" + "QCEVPH2TX3NCKJ6LJ4OZ"[:16]
    story.secrets.append(created_key)
    ci = story.caller("ci-deployer", "203.0.113.10", "aws-cli/2.15.0 GitHubActions")
    bot = story.caller("ci-deployer", "198.51.100.23")
    ops = Caller(story.account, "ops", "AKIAQAAAAAAAAAAAAAAB", "203.0.113.50", "console.amazonaws.com")
    now = datetime.now(UTC)
    t = iter(now - timedelta(days=5) + timedelta(minutes=n) for n in range(100))
    identity = ["CreateUser", "CreateAccessKey", "CreateLoginProfile", "CreateRole", "AttachUserPolicy",
                "AttachRolePolicy", "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"]
    evasion = [("StopLogging", "cloudtrail"), ("DeleteTrail", "cloudtrail"), ("UpdateTrail", "cloudtrail"),
               ("PutEventSelectors", "cloudtrail"), ("DeleteDetector", "guardduty")]
    seed_history([
        record(ci, "GetCallerIdentity", source="sts", region=REGION, when=next(t), read_only=True),  # the baseline
        record(ci, "UpdateFunctionCode20150331v2", source="lambda", region=REGION, when=next(t)),
        record(ci, "GetCallerIdentity", source="sts", region=REGION, when=next(t), read_only=True),  # known address
        record(bot, "GetCallerIdentity", source="sts", region=REGION, when=next(t), read_only=True),  # new address
        *[record(bot, name, source="iam", region=REGION, when=next(t),
                 request={"userName": "backup-svc", "roleName": "backdoor"},
                 response={"accessKey": {"accessKeyId": created_key, "userName": "backup-svc", "status": "Active"}}
                 if name == "CreateAccessKey" else None) for name in identity],
        record(bot, "CreateUser", source="iam", region=REGION, when=next(t), request={"userName": "x"},
               error="AccessDenied"),
        record(ops, "RunInstances", source="ec2", region=REGION, when=next(t)),  # the account launches here
        record(bot, "RunInstances", source="ec2", region=REGION, when=next(t)),
        record(bot, "RunInstances", source="ec2", region="ap-southeast-1", when=next(t)),
        record(bot, "CreateFunction20150331", source="lambda", region="ap-southeast-1", when=next(t)),
        *[record(bot, name, source=source, region=REGION, when=next(t)) for name, source in evasion],
    ])

    result = scan(out_dir, capsys, REGION, "ap-southeast-1", control="IR-4")

    assert result.code == 1, result.stderr
    [finding] = findings_of(out_dir, "leaked_key_no_suspicious_activity").values()
    assert finding["status"] == "fail"
    flagged = finding["details"]["activity"]["flagged"]
    by_flag: dict[str, list[tuple[str, str]]] = {}
    for event in flagged:
        by_flag.setdefault(event["flag"], []).append((event["name"], event["region"]))
    assert sorted(n for n, _r in by_flag["identity-creation"]) == sorted([*identity, "CreateUser"])
    assert by_flag["compute-in-unused-region"] == [("RunInstances", "ap-southeast-1"),
                                                   ("CreateFunction20150331", "ap-southeast-1")]
    assert sorted(n for n, _r in by_flag["defense-evasion"]) == sorted(n for n, _s in evasion)
    assert [e["source_ip"] for e in flagged if e["flag"] == "recon-from-new-address"] == ["198.51.100.23"]
    assert any("it failed: AccessDenied" in e["reason"] for e in flagged)
    key_event = next(e for e in flagged if e["name"] == "CreateAccessKey")
    assert key_event["created"] == [f"access key {created_key[:4]}…{created_key[-4:]} of user backup-svc"]
    assert finding["message"].startswith(f"Leaked key {finding['resource']['name']} of IAM user ci-deployer made "
                                         f"{len(flagged)} flagged calls in the last 90 days")
    activity = finding["details"]["activity"]
    assert activity["event_count"] == len(flagged) + 4  # baseline, deploy, known-address check, RunInstances here
    assert set(activity["source_ips"]) == {"203.0.113.10", "198.51.100.23"}
    assert set(activity["regions_read"]) == {REGION, "ap-southeast-1"}
    assert {c["id"]: c["status"] for c in load_assessment(out_dir)["controls"]}["IR-4"] == "not-satisfied"
    assert_never_written(story.secrets, out_dir, texts=[result.stdout, result.stderr])


def test_a_clean_history_passes_and_unreadable_history_is_never_clean(aws, out_dir, tmp_path, capsys, monkeypatch):
    story = Story()
    story.leak("quiet", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    ci = story.caller("quiet", "203.0.113.10")
    seed_history([record(ci, "GetCallerIdentity", source="sts", region=REGION, read_only=True,
                         when=datetime.now(UTC) - timedelta(days=1))])

    assert scan(out_dir, capsys, control="IR-4").code in (0, 1)
    [clean] = findings_of(out_dir, "leaked_key_no_suspicious_activity").values()
    assert clean["status"] == "pass" and "1 call(s) in the last 90 days" in clean["message"]

    with api_calls(monkeypatch, deny={"LookupEvents": "AccessDeniedException"}):
        scan(tmp_path / "denied", capsys, control="IR-4")
        scan(tmp_path / "secrets", capsys)
    [unread] = findings_of(tmp_path / "denied", "leaked_key_no_suspicious_activity").values()
    assert unread["status"] == "error" and "could not be read in us-east-1 (AccessDeniedException)" in unread["message"]
    leak = findings_of(tmp_path / "secrets", "lambda_env_no_aws_keys")["quiet"]
    assert leak["status"] == "fail", "the leak is still a finding when its enrichment cannot be read"
    assert "its history could not be read in us-east-1 (AccessDeniedException)" in leak["message"]


def test_a_quarantined_user_with_an_active_key_fails(aws, out_dir, capsys):
    iam = boto3.client("iam", region_name=REGION)
    for name, policy, active in (("exposed", "AWSCompromisedKeyQuarantineV2", True),
                                 ("contained", "AWSCompromisedKeyQuarantineV3", False)):
        iam.create_user(UserName=name)
        iam.attach_user_policy(UserName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
        key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        if not active:
            iam.update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")
    iam.create_user(UserName="bystander")
    iam.create_access_key(UserName="bystander")

    result = scan(out_dir, capsys, control="IR-6")

    found = findings_of(out_dir, "iam_quarantined_key_inactive")
    assert {name: f["status"] for name, f in found.items()} == {"exposed": "fail", "contained": "pass"}
    assert found["exposed"]["message"].startswith("User exposed carries AWSCompromisedKeyQuarantineV2: AWS flagged "
                                                  "an exposed key of this user, and access key 1 (created ")
    assert found["exposed"]["severity"] == "critical" and result.code == 1


@pytest.mark.timeout(300)
def test_service_control_policies_narrow_a_member_accounts_blast_radius(aws, out_dir, capsys):
    from auditpack.emulator.seeding.organization import create_organization, in_account

    _management, members = create_organization("workload")
    org = boto3.client("organizations", region_name=REGION)
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    guard = org.create_policy(Name="no-compute", Type="SERVICE_CONTROL_POLICY", Description="guardrail",
                              Content=doc({"Effect": "Deny", "Action": list(CAPABILITY_ACTIONS["launch-compute"]),
                                           "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=guard, TargetId=members["workload"])
    with in_account(members["workload"]):
        story = Story()
        story.leak("member-admin", doc(ADMIN))

    result = run_cli(capsys, "scan", "--quiet", "--org", "--control", "IA-5(7)", "--region", REGION,
                     "--out", str(out_dir), "--format", "json")

    assert result.code == 1, result.stderr
    found = findings_of(out_dir, "lambda_env_no_aws_keys")["member-admin"]
    assert found["account"] == members["workload"]
    assert held(found) == set(CAPABILITIES) - {"launch-compute"}, "the SCP denies every launch action"
    [radius] = found["details"]["blast_radius"]
    assert any(s.startswith("service control policy no-compute") for s in radius["evaluated"])


def test_the_reports_ia_5_7_section_shows_each_leaked_keys_reach_and_activity(aws, out_dir, capsys):
    story = Story()
    story.leak("deployer", doc({"Effect": "Allow", "Action": ["iam:CreateAccessKey", "ec2:RunInstances"],
                                "Resource": "*"}))
    story.leak("reader", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    bot = story.caller("deployer", "198.51.100.23")
    seed_history([record(bot, "CreateAccessKey", source="iam", region=REGION, request={"userName": "deployer"},
                         when=datetime.now(UTC) - timedelta(days=2))])

    result = scan(out_dir, capsys, formats="json,html")

    assert result.code == 1, result.stderr
    html = (out_dir / "report.html").read_text()
    section = html[html.index("Leaked access keys: what each could do, and what it did"):]
    section = section[:section.index("Failing resources")]
    for name in ("deployer", "reader"):
        masked = f"{story.keys[name][:4]}…{story.keys[name][-4:]}"
        assert f"Access key <span class=\"mono\">{masked}</span>" in section, f"{name}'s key has its own block"
    deployer = section[section.index(f"{story.keys['deployer'][-4:]}</span>"):]
    deployer = deployer[:deployer.index("</div>")]
    assert "1 flagged" in deployer and "CreateAccessKey" in deployer and "198.51.100.23" in deployer
    yes = deployer.count('class="cap-yes"')
    assert yes == 2, "create-principals-or-keys and launch-compute, nothing else"
    reader = section[section.index(f"{story.keys['reader'][-4:]}</span>"):]
    reader = reader[:reader.index("</div>")]
    assert "flagged</span>" not in reader and reader.count('class="cap-yes"') == 1
    assert_never_written(story.secrets, out_dir, texts=[result.stdout, result.stderr])


def test_a_key_no_lookup_can_place_is_an_error_and_a_denied_user_lookup_still_reads_its_history(
        aws, out_dir, tmp_path, capsys, monkeypatch):
    story = Story()
    story.leak("deployer", doc({"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}))
    seed_history([record(story.caller("deployer", "198.51.100.23"), "CreateUser", source="iam", region=REGION,
                         request={"userName": "x"}, when=datetime.now(UTC) - timedelta(days=2))])

    with api_calls(monkeypatch, deny={"GetAccessKeyLastUsed": "AccessDenied"}):
        scan(out_dir, capsys, control="IR-4")
    [used] = findings_of(out_dir, "leaked_key_no_suspicious_activity").values()
    assert used["status"] == "fail" and "of an IAM user that could not be looked up (AccessDenied) made 1 flagged" \
        in used["message"]

    with api_calls(monkeypatch, deny={"GetAccessKeyLastUsed": "AccessDenied", "GetAccessKeyInfo": "AccessDenied"}):
        result = scan(tmp_path / "unplaced", capsys, control="IR-4")
    [unplaced] = findings_of(tmp_path / "unplaced", "leaked_key_no_suspicious_activity").values()
    assert unplaced["status"] == "error" and "could not be placed" in unplaced["message"]
    assert_never_written(story.secrets, out_dir, tmp_path, texts=[result.stdout, result.stderr])


def test_a_key_found_in_several_sources_and_regions_is_looked_up_once(aws, out_dir, capsys, monkeypatch):
    """Who owns a key does not depend on where it was found: one sts:GetAccessKeyInfo and one IAM lookup per
    account and key, however many functions, sources and regions hold it."""
    story = Story()
    key = story.leak("deployer", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    secret = story.secrets[-1]
    env = {"Variables": {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}}
    other = boto3.client("lambda", region_name="us-west-2")
    other.create_function(FunctionName="copy", Runtime="python3.12", Role=story.role, Handler="h.h",
                          Code={"ZipFile": _zip()}, Environment=env)
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/ci/key", Type="String", Value=f"aws_access_key_id={key}\naws_secret_access_key={secret}")

    with api_calls(monkeypatch) as made:
        scan(out_dir, capsys, REGION, "us-west-2")
    looked_up = [op for _service, op, params in made if params.get("AccessKeyId") == key]
    assert looked_up.count("GetAccessKeyInfo") == 1 and looked_up.count("GetAccessKeyLastUsed") == 1, looked_up
    found = [f for f in load_assessment(out_dir)["findings"] if f["status"] == "fail"
             and "deployer" in json.dumps(f["details"])]
    assert {f["check_id"] for f in found} >= {"lambda_env_no_aws_keys", "ssm_parameter_secrets_secure"}
    assert_never_written(story.secrets, out_dir)
