"""Planting secrets in an emulated account and proving they are written nowhere.

``PLANTERS`` put a value where AWS keeps secrets that scans read (Lambda environment, EC2 user data, Secrets
Manager, SSM, ECS task definitions, CodeBuild, CloudFormation outputs); ``assert_never_written`` searches every
file under a pack (and any captured text) for each value in the forms a writer could produce. A planter is a
plain boto3 call, so a new secret location is one function here; tests/test_properties.py runs them all.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

import boto3

SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-"


def written_forms(value: str) -> set[str]:
    """The ways a writer could spell ``value``: as is, JSON-escaped (with or without ``\\/``), URL-quoted,
    base64 of the value alone."""
    escaped = json.dumps(value)[1:-1]
    return {value, escaped, escaped.replace("/", "\\/"), quote(value, safe=""),
            base64.b64encode(value.encode()).decode()}


def assert_never_written(values: Iterable[str], *roots: Path, texts: Iterable[str] = ()) -> None:
    """Fail naming the file (never the value) if any form of any value appears under ``roots`` or in ``texts``."""
    needles = {form: n for n, value in enumerate(values) for form in written_forms(value)}
    leaks: list[str] = []
    for root in roots:
        for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
            content = path.read_bytes().decode("utf-8", "replace")
            leaks += [f"{path} holds planted value #{n}" for form, n in needles.items() if form in content]
    for i, text in enumerate(texts):
        leaks += [f"captured text #{i} holds planted value #{n}" for form, n in needles.items() if form in text]
    assert not leaks, "secret values were written out:\n" + "\n".join(sorted(set(leaks)))


# --- where secrets live in an account --------------------------------------------------------------------------

Planter = Callable[[str, str, str], None]  # (region, unique name, secret value)
_LAMBDA_ROLE = "planted-secrets-lambda-role"


def _role() -> str:
    iam = boto3.client("iam", region_name="us-east-1")
    try:
        return iam.get_role(RoleName=_LAMBDA_ROLE)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":'
                 '"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
        return iam.create_role(RoleName=_LAMBDA_ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def lambda_environment(region: str, name: str, value: str) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", "def h(e, c):\n    return 1\n")
    boto3.client("lambda", region_name=region).create_function(
        FunctionName=name, Runtime="python3.12", Role=_role(), Handler="h.h", Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": {"API_TOKEN": value}})


def ec2_user_data(region: str, name: str, value: str) -> None:
    boto3.client("ec2", region_name=region).run_instances(
        ImageId="ami-0planted000000001", MinCount=1, MaxCount=1, UserData=f"#!/bin/sh\nexport TOKEN={value}\n",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])


def secretsmanager_value(region: str, name: str, value: str) -> None:
    boto3.client("secretsmanager", region_name=region).create_secret(Name=name, SecretString=value)


def ssm_parameter(region: str, name: str, value: str) -> None:
    ssm = boto3.client("ssm", region_name=region)
    ssm.put_parameter(Name=f"/{name}/plain", Value=value, Type="String")
    ssm.put_parameter(Name=f"/{name}/secure", Value=value, Type="SecureString")


def ecs_environment(region: str, name: str, value: str) -> None:
    boto3.client("ecs", region_name=region).register_task_definition(
        family=name, containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128,
                                            "environment": [{"name": "DB_PASSWORD", "value": value}]}])


def codebuild_environment(region: str, name: str, value: str) -> None:
    boto3.client("codebuild", region_name=region).create_project(
        name=name, source={"type": "S3", "location": "planted-sources/source.zip"}, artifacts={"type": "NO_ARTIFACTS"},
        serviceRole=_role(), environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                          "computeType": "BUILD_GENERAL1_SMALL",
                                          "environmentVariables": [{"name": "TOKEN", "value": value}]})


def cloudformation_output(region: str, name: str, value: str) -> None:
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {"Token": {"Value": value}}}
    boto3.client("cloudformation", region_name=region).create_stack(StackName=name,
                                                                    TemplateBody=json.dumps(template))


PLANTERS: dict[str, Planter] = {
    "lambda_environment": lambda_environment,
    "ec2_user_data": ec2_user_data,
    "secretsmanager_value": secretsmanager_value,
    "ssm_parameter": ssm_parameter,
    "ecs_environment": ecs_environment,
    "codebuild_environment": codebuild_environment,
    "cloudformation_output": cloudformation_output,
}
