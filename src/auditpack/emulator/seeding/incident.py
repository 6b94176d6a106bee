"""Seeds for the leaked-key story: a CI key sits in a Lambda environment for months, bots find it, and use it.

Last quarter, the CI deployer's key (the secrets family put it in ``payments-api``'s environment) deployed
weekly from the CI's address; long before that, the trail's log files show it in use, and, 95 days ago, beyond
the reach of CloudTrail's event history, a first "who am I?" from an address the CI never used. This quarter
the bot came back: GetCallerIdentity, CreateUser, an AdministratorAccess grant, CreateAccessKey, then
RunInstances in a region the organization never uses, with the leaked key and with the key it created.

The attacker's calls are made for real against the emulator, signed with the leaked key under a frozen clock
(the user, its key and the instances exist, and the key's last use is the bot's), and each is recorded as
CloudTrail records it. Addresses are from the documentation ranges of RFC 5737, which no real host has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from auditpack.emulator.seeding import guard
from auditpack.emulator.seeding.activity import Caller, deliver_log_files, record, seed_history

LEAKED_FUNCTION = "payments-api"  # where the secrets family leaked the CI deployer's key
CI_USER = "ci-deployer"
CI_ADDRESS, CI_AGENT = "203.0.113.10", "aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64 (GitHub Actions)"
BOT_ADDRESS, BOT_AGENT = "198.51.100.23", "Boto3/1.28.57 Python/3.10.12 Linux/5.15.0-1045-aws Botocore/1.31.57"
SECOND_ADDRESS = "192.0.2.77"
UNUSED_REGION = "ap-southeast-1"  # the organization runs in us-east-1 and us-west-2 only
CREATED_USER = "backup-svc"
ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
CI_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Deploy", "Effect": "Allow", "Action": ["lambda:*", "s3:*", "cloudformation:*", "ec2:*"], "Resource": "*"},
    {"Sid": "ManageServiceUsers", "Effect": "Allow", "Resource": "*",
     "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:AttachUserPolicy", "iam:PassRole", "iam:GetUser"]}]}
GUARDRAIL = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeepLoggingOn", "Effect": "Deny", "Resource": "*",
     "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector",
                "config:StopConfigurationRecorder"]}]}


@dataclass
class LeakedKey:
    """The leaked key (read from where it leaked, as a bot reads it) and what the story planted."""

    key_id: str
    secret: str
    account: str
    planted: list[str] = field(default_factory=list)  # every secret value, for tests that search the outputs


def leaked_key(region: str = "us-east-1") -> LeakedKey:
    """The CI deployer's key, from the environment of the function it leaked in."""
    guard()
    env = boto3.client("lambda", region_name=region).get_function_configuration(
        FunctionName=LEAKED_FUNCTION)["Environment"]["Variables"]
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    return LeakedKey(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], account,
                     [env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]])


def ci_permissions() -> None:
    """The CI deployer's inline policy: deploys, and the IAM actions CI pipelines often keep 'for service users'."""
    guard()
    boto3.client("iam").put_user_policy(UserName=CI_USER, PolicyName="ci-deploy", PolicyDocument=json.dumps(CI_POLICY))


def guardrail_scp(target: str | None = None) -> None:
    """From the management account: SCPs on, and a Deny on switching logging and detection off, attached to
    ``target`` (an account or OU; default the root, which covers every member account)."""
    guard()
    org = boto3.client("organizations", region_name="us-east-1")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    policy = org.create_policy(Name="keep-logging-on", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(GUARDRAIL),
                               Description="Nobody in a member account switches CloudTrail or GuardDuty off")
    org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=target or root)


def _at(days: float, hour: int = 9, minute: int = 0) -> datetime:
    """``hour:minute`` on the last day that is at least ``days`` days ago: a story told "3 days ago" reads
    "3 days ago" at any time of the day the demo runs (before 02:14, 02:14 three days back was not yet
    three days old)."""
    latest = datetime.now(UTC) - timedelta(days=days)
    when = latest.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return when - timedelta(days=1) if when > latest else when


def ci_history(key: LeakedKey, region: str, *, since_days: int = 170, every: int = 7) -> list[dict[str, Any]]:
    """The CI's own use of the key: a deploy a week, from the CI's address, and the first probe 95 days ago."""
    ci = Caller(key.account, CI_USER, key.key_id, CI_ADDRESS, CI_AGENT)
    bot = Caller(key.account, CI_USER, key.key_id, BOT_ADDRESS, BOT_AGENT)
    records = []
    for days in range(since_days, 13, -every):
        records += [
            record(ci, "GetCallerIdentity", source="sts", region=region, when=_at(days, 14, 2), read_only=True),
            record(ci, "UpdateFunctionCode20150331v2", source="lambda", region=region, when=_at(days, 14, 3),
                   request={"functionName": LEAKED_FUNCTION}),
        ]
    records.append(record(bot, "GetCallerIdentity", source="sts", region=region, when=_at(95, 3, 41), read_only=True))
    return records


def call(caller: Caller, service: str, region: str, when: datetime, operation: str, event: str,
         params: dict[str, Any], secret: str, request: dict[str, Any] | None = None,
         response: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make the call for real, signed with ``caller``'s key at ``when`` (the emulator runs in this process, so
    its clock is frozen too), and return the answer and the call's CloudTrail record."""
    from freezegun import freeze_time

    with freeze_time(when):
        client = boto3.client(service, region_name=region, aws_access_key_id=caller.access_key_id,
                              aws_secret_access_key=secret, aws_session_token=None)
        answer = getattr(client, operation)(**params)
    elements = response(answer) if callable(response) else response
    return answer, record(caller, event, source=service, region=region, when=when, request=request,
                          response=elements, read_only=operation.startswith("get_"))


def attack(key: LeakedKey, *, days: float = 3) -> tuple[list[dict[str, Any]], LeakedKey]:
    """The bot's visit ``days`` ago; returns its CloudTrail records and the key it created."""
    guard()
    bot = Caller(key.account, CI_USER, key.key_id, BOT_ADDRESS, BOT_AGENT)
    start = _at(days, 2, 14)
    step = iter(start + timedelta(minutes=m) for m in (0, 1, 2, 3, 9, 17, 18))
    records = []
    _, r = call(bot, "sts", "us-east-1", next(step), "get_caller_identity", "GetCallerIdentity", {}, key.secret)
    records.append(r)
    _, r = call(bot, "iam", "us-east-1", next(step), "create_user", "CreateUser", {"UserName": CREATED_USER},
                key.secret, request={"userName": CREATED_USER})
    records.append(r)
    _, r = call(bot, "iam", "us-east-1", next(step), "attach_user_policy", "AttachUserPolicy",
                {"UserName": CREATED_USER, "PolicyArn": ADMINISTRATOR}, key.secret,
                request={"userName": CREATED_USER, "policyArn": ADMINISTRATOR})
    records.append(r)
    answer, r = call(bot, "iam", "us-east-1", next(step), "create_access_key", "CreateAccessKey",
                     {"UserName": CREATED_USER}, key.secret, request={"userName": CREATED_USER},
                     response=lambda a: {"accessKey": {"accessKeyId": a["AccessKey"]["AccessKeyId"], "status": "Active",
                                                       "userName": CREATED_USER}})
    records.append(r)
    created = LeakedKey(answer["AccessKey"]["AccessKeyId"], answer["AccessKey"]["SecretAccessKey"], key.account)
    key.planted += [created.key_id, created.secret]

    def launched(answer: dict[str, Any]) -> dict[str, Any]:
        return {"instancesSet": {"items": [{"instanceId": i["InstanceId"], "instanceType": i["InstanceType"]}
                                           for i in answer["Instances"]]}}

    run = {"ImageId": "ami-0abcdef1234567890", "MinCount": 4, "MaxCount": 4, "InstanceType": "c5.4xlarge"}
    _, r = call(bot, "ec2", UNUSED_REGION, next(step), "run_instances", "RunInstances", run, key.secret,
                request={"instanceType": "c5.4xlarge", "minCount": 4, "maxCount": 4}, response=launched)
    records.append(r)
    second = Caller(key.account, CREATED_USER, created.key_id, SECOND_ADDRESS, BOT_AGENT)
    _, r = call(second, "sts", "us-east-1", next(step), "get_caller_identity", "GetCallerIdentity", {}, created.secret)
    records.append(r)
    _, r = call(second, "ec2", UNUSED_REGION, next(step), "run_instances", "RunInstances",
                {**run, "MinCount": 8, "MaxCount": 8}, created.secret,
                request={"instanceType": "c5.4xlarge", "minCount": 8, "maxCount": 8}, response=launched)
    records.append(r)
    return records, created


def seed_recent(records: list[dict[str, Any]]) -> None:
    """Records of the last 90 days into the event history (older ones are only in the trail's log files)."""
    horizon = datetime.now(UTC) - timedelta(days=89)
    seed_history(r for r in records if datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00")) > horizon)


def deliver(bucket: str, records: list[dict[str, Any]]) -> None:
    deliver_log_files(bucket, records)
