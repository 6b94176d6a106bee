"""Seeds for the identity family: IAM users and keys of known ages, MFA, admin grants, secrets, KMS keys, EC2.

Ages are real: resources are created under a frozen clock (freezegun) in the process that runs the emulator,
so their creation and last-used dates are in the past for any client. A request signed with a seeded key
sets that key's last-used date, which is how "used N days ago" is seeded.
"""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from auditpack.emulator.seeding import guard

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
POWER_USER = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}
READ_BUCKET = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:GetObject"],
                                                      "Resource": "arn:aws:s3:::reports/*"}}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                        "Principal": {"Service": "lambda.amazonaws.com"},
                                                        "Action": "sts:AssumeRole"}]}


@contextmanager
def days_ago(days: int) -> Iterator[None]:
    """Run the body with the clock set ``days`` days back (``0``: now, unfrozen)."""
    if days <= 0:
        yield
        return
    from freezegun import freeze_time  # a demo/dev dependency: only seeding needs it

    with freeze_time(datetime.now(UTC) - timedelta(days=days)):
        yield


@dataclass
class IdentitySeed:
    """What was seeded, for tests that assert verdicts and prove secrets never leave memory."""

    account: str = "123456789012"
    key_ids: dict[str, list[str]] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    secret_values: list[str] = field(default_factory=list)
    kms_keys: dict[str, str] = field(default_factory=dict)  # label -> key id
    instances: dict[str, str] = field(default_factory=dict)  # label -> instance id


def user_with_keys(seed: IdentitySeed, name: str, *keys: tuple[int, int | None, bool]) -> None:
    """A user and access keys, each ``(created_days_ago, used_days_ago or None, active)``."""
    guard()
    iam = boto3.client("iam")
    with days_ago(max((k[0] for k in keys), default=0)):
        iam.create_user(UserName=name)
    for created, used, active in keys:
        with days_ago(created):
            key = iam.create_access_key(UserName=name)["AccessKey"]
        seed.key_ids.setdefault(name, []).append(key["AccessKeyId"])
        seed.secret_keys.append(key["SecretAccessKey"])
        if used is not None:
            with days_ago(used):
                boto3.client("sts", aws_access_key_id=key["AccessKeyId"],
                             aws_secret_access_key=key["SecretAccessKey"],
                             aws_session_token=None).get_caller_identity()
        if not active:
            iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")


def console_user(name: str, *, mfa: bool) -> None:
    guard()
    iam = boto3.client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Seeded-Passw0rd-Not-Real!")
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")


def admin_via_group(user: str = "ops-admin", group: str = "break-glass") -> None:
    """A user who is a full administrator only through a customer policy on a group, named innocuously."""
    guard()
    iam = boto3.client("iam")
    arn = iam.create_policy(PolicyName="OperationsSupport", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]["Arn"]
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)


def scoped_users() -> None:
    """Users whose policies look broad by name but are not full administrators."""
    guard()
    iam = boto3.client("iam")
    iam.create_user(UserName="report-reader")
    iam.put_user_policy(UserName="report-reader", PolicyName="AdministratorAccess",
                        PolicyDocument=json.dumps(READ_BUCKET))
    iam.create_user(UserName="power-user")
    arn = iam.create_policy(PolicyName="PowerUser", PolicyDocument=json.dumps(POWER_USER))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="power-user", PolicyArn=arn)
    iam.create_user(UserName="inline-admin")
    iam.put_user_policy(UserName="inline-admin", PolicyName="Everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}]}))


def _lambda_without_docker() -> None:
    """Have the emulator answer Lambda invocations itself: rotation invokes the function, and without this
    the emulator looks for Docker (printing errors and shelling out) before giving up."""
    request = urllib.request.Request(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/config", method="POST",
                                     data=json.dumps({"lambda": {"use_docker": False}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass


def rotation_function(region: str) -> str:
    """A Lambda function for Secrets Manager to call: the emulator requires it to exist."""
    guard()
    _lambda_without_docker()
    role = boto3.client("iam").create_role(RoleName=f"secret-rotation-{region}",
                                           AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return boto3.client("lambda", region_name=region).create_function(
        FunctionName="rotate-secret", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()})["FunctionArn"]


def secret(seed: IdentitySeed, name: str, region: str, *, created_days_ago: int,
           rotation: tuple[str, int, int] | None = None) -> None:
    """A secret; ``rotation`` is ``(function arn, every N days, rotated D days ago)``."""
    guard()
    client = boto3.client("secretsmanager", region_name=region)
    value = f"seeded-{name}-value-0123456789abcdef"
    seed.secret_values.append(value)
    with days_ago(created_days_ago):
        client.create_secret(Name=name, SecretString=value)
    if rotation:
        function, every, rotated = rotation
        with days_ago(rotated):
            client.rotate_secret(SecretId=name, RotationLambdaARN=function,
                                 RotationRules={"AutomaticallyAfterDays": every}, RotateImmediately=False)


def kms_keys(seed: IdentitySeed, region: str) -> None:
    """One key of each kind the rotation check must tell apart."""
    guard()
    kms = boto3.client("kms", region_name=region)

    def create(label: str, **kw: Any) -> str:
        key_id = kms.create_key(Description=label, **kw)["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{label}", TargetKeyId=key_id)
        seed.kms_keys[label] = key_id
        return key_id

    kms.enable_key_rotation(KeyId=create("rotating"))
    create("not-rotating")
    create("signing", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    create("mac", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    create("imported", Origin="EXTERNAL")
    kms.schedule_key_deletion(KeyId=create("retiring"), PendingWindowInDays=7)


def instances(seed: IdentitySeed, region: str) -> None:
    """A role-backed IMDSv2 instance, one whose profile has no role (metadata endpoint off), an IMDSv1 one
    without a profile, and a stopped one without a profile."""
    guard()
    iam = boto3.client("iam")
    iam.create_role(RoleName="app-server", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    profile = iam.create_instance_profile(InstanceProfileName="app-server")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="app-server", RoleName="app-server")
    ec2 = boto3.client("ec2", region_name=region)

    def run(label: str, **kw: Any) -> str:
        reply = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                  TagSpecifications=[{"ResourceType": "instance",
                                                      "Tags": [{"Key": "Name", "Value": label}]}], **kw)
        seed.instances[label] = reply["Instances"][0]["InstanceId"]
        return seed.instances[label]

    empty = iam.create_instance_profile(InstanceProfileName="no-role")["InstanceProfile"]["Arn"]
    run("role-imdsv2", IamInstanceProfile={"Arn": profile}, MetadataOptions={"HttpTokens": "required"})
    run("profile-without-role", IamInstanceProfile={"Arn": empty}, MetadataOptions={"HttpEndpoint": "disabled"})
    run("keys-imdsv1", MetadataOptions={"HttpTokens": "optional"})
    ec2.stop_instances(InstanceIds=[run("stopped-no-profile")])


def seed_identity(region: str = "us-east-1") -> IdentitySeed:
    """An account that fails each identity check somewhere and passes it somewhere else."""
    seed = IdentitySeed()
    user_with_keys(seed, "old-key", (200, None, True))  # never used, created 200 days ago
    user_with_keys(seed, "fresh-key", (10, 2, True))
    user_with_keys(seed, "rotated", (300, 250, False), (5, None, True))  # old key off, new one not used yet
    user_with_keys(seed, "two-keys", (120, None, True), (20, 1, True))
    console_user("console-mfa", mfa=True)
    console_user("console-no-mfa", mfa=False)
    admin_via_group()
    scoped_users()
    function = rotation_function(region)
    secret(seed, "db-password", region, created_days_ago=40, rotation=(function, 30, 10))
    secret(seed, "api-token", region, created_days_ago=200)
    secret(seed, "stalled", region, created_days_ago=150, rotation=(function, 30, 100))
    kms_keys(seed, region)
    instances(seed, region)
    return seed
