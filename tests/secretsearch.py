"""Planting secrets in an emulated account and proving they are written nowhere.

``PLANTERS`` put a value where AWS keeps secrets that scans read (Lambda environment, code and layers, EC2 user
data, Secrets Manager, SSM parameters and documents, ECS and Batch, CodeBuild variables and source URLs,
CloudFormation outputs and templates, Step Functions, Glue, SageMaker, API Gateway, Elastic Beanstalk, instance
and IAM user tags, S3 credential files);
``assert_never_written`` searches every file under a pack (and any captured text) for each value in the forms a writer
could produce. A planter is a plain boto3 call, so a new secret location is one function here;
tests/test_properties.py runs them all.
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


def ssm_document(region: str, name: str, value: str) -> None:
    boto3.client("ssm", region_name=region).create_document(Name=name, DocumentType="Command", Content=json.dumps({
        "schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "run",
                                               "inputs": {"runCommand": [f"export API_TOKEN={value}"]}}]}))


def batch_environment(region: str, name: str, value: str) -> None:
    boto3.client("batch", region_name=region).register_job_definition(
        jobDefinitionName=name, type="container", containerProperties={
            "image": "busybox", "vcpus": 1, "memory": 128, "environment": [{"name": "DB_PASSWORD", "value": value}]})


def stepfunctions_header(region: str, name: str, value: str) -> None:
    definition = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
        "Parameters": {"ApiEndpoint": "https://api.example.com", "Method": "GET",
                       "Headers": {"Authorization": f"Bearer {value}"}}}}}
    boto3.client("stepfunctions", region_name=region).create_state_machine(
        name=name, roleArn=_role(), definition=json.dumps(definition))


def glue_job_argument(region: str, name: str, value: str) -> None:
    boto3.client("glue", region_name=region).create_job(
        Name=name, Role=_role(), Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/job.py"},
        DefaultArguments={"--db_password": value})


def glue_connection_password(region: str, name: str, value: str) -> None:
    boto3.client("glue", region_name=region).create_connection(ConnectionInput={
        "Name": name, "ConnectionType": "JDBC", "ConnectionProperties": {
            "JDBC_CONNECTION_URL": "jdbc:postgresql://db.internal:5432/app", "USERNAME": "app", "PASSWORD": value}})


def sagemaker_lifecycle(region: str, name: str, value: str) -> None:
    script = base64.b64encode(f"#!/bin/bash\nexport API_TOKEN={value}\n".encode()).decode()
    boto3.client("sagemaker", region_name=region).create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName=name, OnStart=[{"Content": script}])


def apigateway_stage_variable(region: str, name: str, value: str) -> None:
    api = boto3.client("apigateway", region_name=region)
    api_id = api.create_rest_api(name=name)["id"]
    root = api.get_resources(restApiId=api_id)["items"][0]["id"]
    api.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    api.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    api.create_stage(restApiId=api_id, stageName="prod", deploymentId=api.create_deployment(restApiId=api_id)["id"],
                     variables={"dbPassword": value})


def codebuild_source_url(region: str, name: str, value: str) -> None:
    boto3.client("codebuild", region_name=region).create_project(
        name=name, source={"type": "GITHUB", "location": f"https://ci:{quote(value, safe='')}@github.com/o/r.git"},
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole=_role(),
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"})


def beanstalk_property(region: str, name: str, value: str) -> None:
    eb = boto3.client("elasticbeanstalk", region_name=region)
    eb.create_application(ApplicationName=name)
    eb.create_environment(ApplicationName=name, EnvironmentName=name, SolutionStackName="64bit Amazon Linux 2023",
                          OptionSettings=[{"Namespace": "aws:elasticbeanstalk:application:environment",
                                           "OptionName": "DB_PASSWORD", "Value": value}])


def cloudformation_template(region: str, name: str, value: str) -> None:
    template = {"Parameters": {"DbPassword": {"Type": "String", "NoEcho": True, "Default": value}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    boto3.client("cloudformation", region_name=region).create_stack(StackName=name, TemplateBody=json.dumps(template))


def instance_tag(region: str, name: str, value: str) -> None:
    boto3.client("ec2", region_name=region).run_instances(
        ImageId="ami-0planted000000001", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name},
                                                                 {"Key": "db_password", "Value": value}]}])


def iam_user_tag(region: str, name: str, value: str) -> None:
    boto3.client("iam", region_name=region).create_user(UserName=name, Tags=[{"Key": "password", "Value": value}])


def _package(files: dict[str, str]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return buffer.getvalue()


def lambda_code(region: str, name: str, value: str) -> None:
    boto3.client("lambda", region_name=region).create_function(
        FunctionName=name, Runtime="python3.12", Role=_role(), Handler="h.h",
        Code={"ZipFile": _package({"h.py": "def h(e, c):\n    return 1\n", "config.py": f'API_TOKEN = "{value}"\n'})})


def lambda_layer(region: str, name: str, value: str) -> None:
    boto3.client("lambda", region_name=region).publish_layer_version(
        LayerName=name, Content={"ZipFile": _package({"python/.env": f"DB_PASSWORD={value}\n"})})


def s3_credential_file(region: str, name: str, value: str) -> None:
    s3 = boto3.client("s3", region_name=region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    s3.put_object(Bucket=name, Key="app/.env", Body=f"DB_PASSWORD={value}\n".encode())


PLANTERS: dict[str, Planter] = {
    "lambda_environment": lambda_environment,
    "ec2_user_data": ec2_user_data,
    "secretsmanager_value": secretsmanager_value,
    "ssm_parameter": ssm_parameter,
    "ecs_environment": ecs_environment,
    "codebuild_environment": codebuild_environment,
    "cloudformation_output": cloudformation_output,
    "ssm_document": ssm_document,
    "batch_environment": batch_environment,
    "stepfunctions_header": stepfunctions_header,
    "glue_job_argument": glue_job_argument,
    "glue_connection_password": glue_connection_password,
    "sagemaker_lifecycle": sagemaker_lifecycle,
    "apigateway_stage_variable": apigateway_stage_variable,
    "codebuild_source_url": codebuild_source_url,
    "beanstalk_property": beanstalk_property,
    "cloudformation_template": cloudformation_template,
    "instance_tag": instance_tag,
    "iam_user_tag": iam_user_tag,
    "lambda_code": lambda_code,
    "lambda_layer": lambda_layer,
    "s3_credential_file": s3_credential_file,
}
