"""Seeds for the secrets family: each kind of leak and each good practice, in every source.

``seed_secrets`` returns what it planted (resource names and the secret values) so that tests can assert
verdicts and then prove that no planted value reached any output. The secret values are made up, except the
access key pair, which is a real key of an emulated IAM user so that the owner lookup has something to find.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import zipfile
from dataclasses import dataclass, field

import boto3

from auditpack.emulator.seeding import guard

DOC_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

# Made-up credentials, each distinctive enough to search the outputs for.
DB_PASSWORD = "Tr0ub4dor&3-horse-Battery"
OLD_VERSION_SECRET = "q8Vd2Lx0Nw7Zr4Tb6Yk1Hs3Pm5Gc9Jf0Ua2We4Ri"
USER_DATA_PASSWORD = "Mysql-R00t-Pa55word!"
USER_DATA_AWS_SECRET = "Zx9Kp2Lm4Nq6Rs8Tu0Vw1Xy3Za5Bc7De9Fg2Hj4K"
LAUNCH_TEMPLATE_TOKEN = "d0ck3rHubT0ken-Zq81xLm"
ECS_API_KEY = "sk_live_51HxQyZ2eZvKYlo2C0aBcDeFgHiJkLmNo"
SSM_PASSWORD = "ssm-plain-Secr3t-2024"
STACK_URL_PASSWORD = "Cfn0utputPassw0rd"
STACK_PARAMETER_PASSWORD = "VisibleParam-Pw-77"
CODEBUILD_TOKEN = "ghp_R4nd0mT0kenV4lu3F0rC0deBu1ld12345"

ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "codebuild.amazonaws.com"]},
     "Action": "sts:AssumeRole"}]})


@dataclass
class Planted:
    """What the seeder made: the leaked key's id and owner, and every secret value planted."""

    key_id: str = ""
    key_user: str = "ci-deployer"
    secrets: list[str] = field(default_factory=list)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def _function(client, name: str, role: str, env: dict[str, str]) -> None:
    client.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                           Code={"ZipFile": _zip()}, Environment={"Variables": env})


def seed_lambda(region: str, planted: Planted) -> None:
    iam = boto3.client("iam", region_name=region)
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    iam.create_user(UserName=planted.key_user)
    key = iam.create_access_key(UserName=planted.key_user)["AccessKey"]
    planted.key_id = key["AccessKeyId"]
    planted.secrets += [key["AccessKeyId"], key["SecretAccessKey"], DB_PASSWORD, OLD_VERSION_SECRET]
    fn = boto3.client("lambda", region_name=region)
    _function(fn, "payments-api", role, {"AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                         "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"], "LOG_LEVEL": "info"})
    _function(fn, "orders-api", role, {"AWS_SECRET_ACCESS_KEY": OLD_VERSION_SECRET})
    fn.publish_version(FunctionName="orders-api")  # version 1 keeps the key ...
    fn.update_function_configuration(FunctionName="orders-api",  # ... after $LATEST dropped it
                                     Environment={"Variables": {"LOG_LEVEL": "info"}})
    _function(fn, "reports", role, {"DB_PASSWORD": DB_PASSWORD, "DB_HOST": "db.internal"})
    _function(fn, "good-fn", role, {
        "DB_PASSWORD_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        "API_TOKEN": "{{resolve:secretsmanager:api-token}}", "LOG_LEVEL": "debug"})
    _function(fn, "docs-example", role, {"AWS_ACCESS_KEY_ID": DOC_KEY_ID, "AWS_SECRET_ACCESS_KEY": DOC_SECRET})




def seed_ec2(region: str, planted: Planted) -> None:
    planted.secrets += [USER_DATA_PASSWORD, USER_DATA_AWS_SECRET, LAUNCH_TEMPLATE_TOKEN]
    ec2 = boto3.client("ec2", region_name=region)
    leaky = (f"#!/bin/bash\nexport DB_HOST=db.internal\nmysql -uroot -p{USER_DATA_PASSWORD} -e 'select 1'\n"
             f"aws configure set aws_secret_access_key {USER_DATA_AWS_SECRET}\n")
    good = ("#!/bin/bash\nDB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id db "
            "--query SecretString --output text)\n")
    for name, script, compressed in (("leaky-web", leaky, True), ("good-web", good, False)):
        ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                          UserData=gzip.compress(script.encode()) if compressed else script,  # boto3 base64s it
                          TagSpecifications=[{"ResourceType": "instance",
                                              "Tags": [{"Key": "Name", "Value": name}]}])
    lt = ec2.create_launch_template(LaunchTemplateName="workers", LaunchTemplateData={
        "UserData": base64.b64encode(f"#!/bin/bash\ndocker login -u ci -p {LAUNCH_TEMPLATE_TOKEN} "
                                     "registry.example.com\n".encode()).decode()})
    ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplate"]["LaunchTemplateId"],
                                       LaunchTemplateData={"UserData": base64.b64encode(good.encode()).decode()})
    ec2.create_launch_template(LaunchTemplateName="clean-workers", LaunchTemplateData={
        "UserData": base64.b64encode(good.encode()).decode()})


def seed_ecs(region: str, planted: Planted) -> None:
    planted.secrets.append(ECS_API_KEY)
    ecs = boto3.client("ecs", region_name=region)
    ecs.register_task_definition(family="billing", containerDefinitions=[{
        "name": "app", "image": "billing:1", "memory": 256,
        "environment": [{"name": "STRIPE_API_KEY", "value": ECS_API_KEY}, {"name": "PORT", "value": "8080"}]}])
    ecs.register_task_definition(family="catalog", containerDefinitions=[{
        "name": "app", "image": "catalog:1", "memory": 256,
        "environment": [{"name": "PORT", "value": "8080"}],
        "secrets": [{"name": "DB_PASSWORD",
                     "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}]}])


def seed_ssm(region: str, planted: Planted) -> None:
    planted.secrets.append(SSM_PASSWORD)
    ssm = boto3.client("ssm", region_name=region)
    ssm.put_parameter(Name="/app/db/password", Value=SSM_PASSWORD, Type="String")
    ssm.put_parameter(Name="/app/db/password-secure", Value="another-Secr3t-value", Type="SecureString")
    ssm.put_parameter(Name="/app/log-level", Value="info", Type="String")


STACK_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"DbPassword": {"Type": "String"}, "Stage": {"Type": "String"}},
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {"DatabaseUrl": {"Value": "set by seed_cloudformation"}},
}


def seed_cloudformation(region: str, planted: Planted) -> None:
    planted.secrets += [STACK_URL_PASSWORD, STACK_PARAMETER_PASSWORD]
    cfn = boto3.client("cloudformation", region_name=region)
    leaky = json.loads(json.dumps(STACK_TEMPLATE))
    leaky["Outputs"]["DatabaseUrl"]["Value"] = f"postgres://app:{STACK_URL_PASSWORD}@db.internal:5432/app"
    cfn.create_stack(StackName="legacy-db", TemplateBody=json.dumps(leaky), Parameters=[
        {"ParameterKey": "DbPassword", "ParameterValue": STACK_PARAMETER_PASSWORD},
        {"ParameterKey": "Stage", "ParameterValue": "prod"}])
    good = {"AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"Stage": {"Type": "String"}},
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}}}
    cfn.create_stack(StackName="modern-app", TemplateBody=json.dumps(good),
                     Parameters=[{"ParameterKey": "Stage", "ParameterValue": "prod"}])


def seed_codebuild(region: str, planted: Planted) -> None:
    planted.secrets.append(CODEBUILD_TOKEN)
    role = boto3.client("iam", region_name=region).get_role(RoleName="fn-role")["Role"]["Arn"]
    cb = boto3.client("codebuild", region_name=region)
    common = {"source": {"type": "S3", "location": "build-sources/site.zip"}, "artifacts": {"type": "NO_ARTIFACTS"},
              "serviceRole": role}
    env = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
    cb.create_project(name="site-build", environment={**env, "environmentVariables": [
        {"name": "GITHUB_TOKEN", "value": CODEBUILD_TOKEN, "type": "PLAINTEXT"},
        {"name": "STAGE", "value": "prod", "type": "PLAINTEXT"}]}, **common)
    cb.create_project(name="api-build", environment={**env, "environmentVariables": [
        {"name": "GITHUB_TOKEN", "value": "ci/github-token", "type": "SECRETS_MANAGER"},
        {"name": "NPM_TOKEN", "value": "/ci/npm-token", "type": "PARAMETER_STORE"}]}, **common)


def seed_secrets(region: str = "us-east-1") -> Planted:
    """Every kind of leak and every good practice the secrets checks judge, in one region."""
    guard()
    planted = Planted()
    seed_lambda(region, planted)
    seed_ec2(region, planted)
    seed_ecs(region, planted)
    seed_ssm(region, planted)
    seed_cloudformation(region, planted)
    seed_codebuild(region, planted)
    return planted
