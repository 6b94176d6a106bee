"""Seeds for the secret sources added with the second round of the secrets family: in each, one leak and the good
practice beside it (a Secrets Manager reference, a SecureString, NoEcho, a connection, a clean script).

``seed_secret_sources`` returns what it planted, so that tests can assert every verdict and then prove that no
planted value reached any output. Every value is made up and distinctive enough to search the outputs for.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile

import boto3

from auditpack.emulator.seeding import guard
from auditpack.emulator.seeding.secrets import Planted

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
DOCUMENT_PASSWORD = "Doc-Mysql-R00t-77"
BATCH_PASSWORD = "Batch-Db-Passw0rd-31"
BATCH_ECS_TOKEN = "EcsJobT0ken-Qx81Lm-Zr4"
STEP_TOKEN = "7c1f0e2d9b8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d"
GLUE_JOB_PASSWORD = "Glue-Job-Pw-Lk23-Xc"
GLUE_URL_PASSWORD = "JdbcUrlPw-93kd"
LIFECYCLE_TOKEN = "nb-Setup-T0ken-Hy62-Pq"
STAGE_API_KEY = "stg-Backend-Key-Mn45-Vb90"
SOURCE_TOKEN = "ghp_S0urceUrlT0kenF0rC0deBu1ld1234567"
SECONDARY_TOKEN = "Secondary-Src-Pw-58"
BEANSTALK_PASSWORD = "Beanstalk-Db-Pw-20Qz"
TEMPLATE_DEFAULT = "Template-Default-Pw-64"
TEMPLATE_COMMAND = "CfnInit-Mysql-Pw-19"
TAG_PASSWORD = "Tagged-Instance-Pw-47"
USER_TAG_PASSWORD = "Tagged-User-Pw-35Rt"
ROLE_TAG_TOKEN = "ghp_R0leTagT0kenV4lu3F0rDepl0y123456"
CODE_PASSWORD = "Code-Config-Db-Pw-62"
SHARED_CODE_TOKEN = "Shared-Pkg-T0ken-Vq27-Lx"
OLD_VERSION_CODE_KEY = "Old-Version-Api-Key-83Jd"
LAYER_PASSWORD = "Layer-Env-File-Pw-54"
S3_ENV_PASSWORD = "S3-Dotenv-Db-Pw-73"
S3_STATE_PASSWORD = "Tfstate-Rds-Master-Pw-28"
S3_KEY_SECRET = "wQ7rT9yU1iO3pA5sD7fG9hJ2kL4zX6cV8bN0mQ2w"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # a binary member: counted as not read, never judged


def _role(region: str) -> str:
    iam = boto3.client("iam", region_name=region)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "states.amazonaws.com"}}]})
    try:
        return iam.get_role(RoleName="workflow-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName="workflow-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def _run_command(*lines: str) -> str:
    return json.dumps({"schemaVersion": "2.2", "description": "Bootstrap the database client",
                       "mainSteps": [{"action": "aws:runShellScript", "name": "bootstrap",
                                      "inputs": {"runCommand": list(lines)}}]})


def seed_ssm_documents(region: str, planted: Planted) -> None:
    planted.secrets.append(DOCUMENT_PASSWORD)
    ssm = boto3.client("ssm", region_name=region)
    ssm.create_document(Name="db-bootstrap", DocumentType="Command", Content=_run_command(
        "yum install -y mariadb", f"mysql -h db.internal -u admin -p{DOCUMENT_PASSWORD} -e 'select 1'"))
    ssm.create_document(Name="db-bootstrap-secure", DocumentType="Command", Content=_run_command(
        "yum install -y mariadb", "mysql -h db.internal -u admin -p{{ssm-secure:/db/admin-password}} -e 'select 1'"))


def seed_batch(region: str, planted: Planted) -> None:
    planted.secrets += [BATCH_PASSWORD, BATCH_ECS_TOKEN]
    batch = boto3.client("batch", region_name=region)
    batch.register_job_definition(jobDefinitionName="etl-container", type="container", containerProperties={
        "image": "etl:1", "vcpus": 1, "memory": 512,
        "environment": [{"name": "DB_PASSWORD", "value": BATCH_PASSWORD}, {"name": "STAGE", "value": "prod"}]})
    batch.register_job_definition(jobDefinitionName="etl-ecs", type="container", ecsProperties={"taskProperties": [{
        "containers": [{"name": "loader", "image": "loader:1",
                        "environment": [{"name": "API_TOKEN", "value": BATCH_ECS_TOKEN}]}]}]})
    batch.register_job_definition(jobDefinitionName="etl-secure", type="container", containerProperties={
        "image": "etl:1", "vcpus": 1, "memory": 512, "environment": [{"name": "STAGE", "value": "prod"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": SECRET_ARN}]})


def seed_step_functions(region: str, planted: Planted) -> None:
    planted.secrets.append(STEP_TOKEN)
    sfn = boto3.client("stepfunctions", region_name=region)

    def http_task(parameters: dict) -> str:
        return json.dumps({"StartAt": "Notify", "States": {"Notify": {
            "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
            "Parameters": {"ApiEndpoint": "https://hooks.example.com/notify", "Method": "POST", **parameters}}}})

    sfn.create_state_machine(name="notify-http", roleArn=_role(region), definition=http_task(
        {"Headers": {"Authorization": f"Bearer {STEP_TOKEN}"}}))
    sfn.create_state_machine(name="notify-connection", roleArn=_role(region), definition=http_task(
        {"Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/notify/1a2b"},
         "RequestBody": {"Token.$": "$.token"}}))


def seed_glue(region: str, planted: Planted) -> None:
    planted.secrets += [GLUE_JOB_PASSWORD, GLUE_URL_PASSWORD]
    glue = boto3.client("glue", region_name=region)
    command = {"Name": "glueetl", "ScriptLocation": "s3://etl-scripts/nightly.py"}
    glue.create_job(Name="nightly-etl", Role=_role(region), Command=command,
                    DefaultArguments={"--db_password": GLUE_JOB_PASSWORD, "--stage": "prod"})
    glue.create_job(Name="nightly-etl-secure", Role=_role(region), Command=command,
                    DefaultArguments={"--db_secret_id": "prod/db", "--stage": "prod"})
    warehouse = "jdbc:postgresql://warehouse.internal:5432/dw"
    stored = {"JDBC_CONNECTION_URL": warehouse, "USERNAME": "etl", "PASSWORD": GLUE_JOB_PASSWORD}
    glue.create_connection(ConnectionInput={"Name": "warehouse-jdbc", "ConnectionType": "JDBC",
                                            "ConnectionProperties": stored})
    glue.create_connection(ConnectionInput={"Name": "reports-jdbc", "ConnectionType": "JDBC", "ConnectionProperties": {
        "JDBC_CONNECTION_URL": f"jdbc:postgresql://reports.internal:5432/r?user=etl&password={GLUE_URL_PASSWORD}",
        "SECRET_ID": "prod/reports"}})
    glue.create_connection(ConnectionInput={"Name": "warehouse-secret", "ConnectionType": "JDBC",
                                            "ConnectionProperties": {
                                                "JDBC_CONNECTION_URL": "jdbc:postgresql://warehouse.internal:5432/dw",
                                                "SECRET_ID": "prod/warehouse"}})


def seed_sagemaker(region: str, planted: Planted) -> None:
    planted.secrets.append(LIFECYCLE_TOKEN)
    sm = boto3.client("sagemaker", region_name=region)

    def script(text: str) -> list[dict[str, str]]:
        return [{"Content": base64.b64encode(text.encode()).decode()}]

    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="notebook-setup", OnStart=script(
        f"#!/bin/bash\nexport HF_TOKEN={LIFECYCLE_TOKEN}\npip install -q transformers\n"))
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="notebook-setup-secure",
                                                 OnStart=script(
        "#!/bin/bash\nHF_TOKEN=$(aws secretsmanager get-secret-value --secret-id hf --query SecretString "
        "--output text)\n"))


def seed_api_gateway(region: str, planted: Planted) -> None:
    planted.secrets.append(STAGE_API_KEY)
    api = boto3.client("apigateway", region_name=region)
    api_id = api.create_rest_api(name="orders-api")["id"]
    root = api.get_resources(restApiId=api_id)["items"][0]["id"]
    api.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    api.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = api.create_deployment(restApiId=api_id)["id"]
    api.create_stage(restApiId=api_id, stageName="prod", deploymentId=deployment,
                     variables={"backendApiKey": STAGE_API_KEY, "backendUrl": "https://orders.internal"})
    api.create_stage(restApiId=api_id, stageName="staging", deploymentId=deployment,
                     variables={"backendUrl": "https://orders-staging.internal", "lambdaAlias": "staging"})


def seed_codebuild_sources(region: str, planted: Planted) -> None:
    planted.secrets += [SOURCE_TOKEN, SECONDARY_TOKEN]
    role = _role(region)
    cb = boto3.client("codebuild", region_name=region)
    common = {"artifacts": {"type": "NO_ARTIFACTS"}, "serviceRole": role,
              "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                              "computeType": "BUILD_GENERAL1_SMALL"}}
    cb.create_project(name="site-deploy", source={
        "type": "GITHUB", "location": f"https://ci-bot:{SOURCE_TOKEN}@github.com/example/site.git"}, **common)
    cb.create_project(name="docs-build", source={"type": "GITHUB", "location": "https://github.com/example/docs.git"},
                      secondarySources=[{"type": "GIT", "sourceIdentifier": "theme",
                                         "location": f"https://builder:{SECONDARY_TOKEN}@git.example.com/theme.git"}],
                      **common)
    cb.create_project(name="api-deploy", source={"type": "GITHUB", "location": "https://github.com/example/api.git"},
                      **common)


def seed_beanstalk(region: str, planted: Planted) -> None:
    planted.secrets.append(BEANSTALK_PASSWORD)
    eb = boto3.client("elasticbeanstalk", region_name=region)
    eb.create_application(ApplicationName="shop")
    namespace = "aws:elasticbeanstalk:application:environment"
    for name, props in (("shop-prod", {"DB_PASSWORD": BEANSTALK_PASSWORD, "DB_HOST": "db.internal"}),
                        ("shop-staging", {"DB_PASSWORD_SECRET_ARN": SECRET_ARN, "DB_HOST": "db-staging.internal"})):
        eb.create_environment(ApplicationName="shop", EnvironmentName=name,
                              SolutionStackName="64bit Amazon Linux 2023 v4.3.0 running Python 3.12",
                              OptionSettings=[{"Namespace": namespace, "OptionName": k, "Value": v}
                                              for k, v in props.items()])


def seed_templates(region: str, planted: Planted) -> None:
    planted.secrets += [TEMPLATE_DEFAULT, TEMPLATE_COMMAND]
    cfn = boto3.client("cloudformation", region_name=region)

    def template(default: str | None, command: str) -> str:
        password = {"Type": "String", "NoEcho": True, **({"Default": default} if default else {})}
        return json.dumps({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"DbPassword": password},
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Metadata": {"AWS::CloudFormation::Init": {
                "config": {"commands": {"schema": {"command": command}}}}}}},
        })

    cfn.create_stack(StackName="legacy-reporting", TemplateBody=template(
        TEMPLATE_DEFAULT, f"mysql -h db.internal -u admin -p{TEMPLATE_COMMAND} < /opt/schema.sql"))
    cfn.create_stack(StackName="modern-reporting", Parameters=[
        {"ParameterKey": "DbPassword", "ParameterValue": "set-at-deploy-time-Kx0"}], TemplateBody=template(
        None, "mysql -h db.internal -u admin -p{{resolve:secretsmanager:prod/db:SecretString:password}} "
              "< /opt/schema.sql"))
    planted.secrets.append("set-at-deploy-time-Kx0")  # a NoEcho value: DescribeStacks shows ****


def seed_tags(region: str, planted: Planted) -> None:
    planted.secrets += [TAG_PASSWORD, USER_TAG_PASSWORD, ROLE_TAG_TOKEN]
    ec2 = boto3.client("ec2", region_name=region)
    for name, tags in (("tagged-batch-host", {"db_password": TAG_PASSWORD}),
                       ("tagged-web-host", {"db_password_secret_arn": SECRET_ARN, "team": "web"})):
        ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                          MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [
                              {"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in tags.items())]}])
    iam = boto3.client("iam", region_name=region)
    iam.create_user(UserName="svc-reporting", Tags=[{"Key": "password", "Value": USER_TAG_PASSWORD}])
    iam.create_user(UserName="svc-billing", Tags=[{"Key": "team", "Value": "finance"}])
    iam.tag_role(RoleName=_role(region).rsplit("/", 1)[-1], Tags=[{"Key": "github_token", "Value": ROLE_TAG_TOKEN}])


def package(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


CLEAN_HANDLER = ("import os\nimport boto3\n\n\ndef handler(event, context):\n"
                 "    password = get_secret(os.environ['DB_SECRET_ARN'])\n    return {'ok': bool(password)}\n\n\n"
                 "def get_secret(arn):\n    return boto3.client('secretsmanager').get_secret_value(SecretId=arn)"
                 "['SecretString']\n")


def seed_lambda_code(region: str, planted: Planted) -> None:
    """Functions whose packages leak (a config file, a package two functions share, an old version) beside a clean
    one and an image-based one; layer versions with and without a credential."""
    planted.secrets += [CODE_PASSWORD, SHARED_CODE_TOKEN, OLD_VERSION_CODE_KEY, LAYER_PASSWORD]
    iam = boto3.client("iam", region_name=region)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "lambda.amazonaws.com"}}]})
    role = iam.create_role(RoleName="code-fn-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    fn = boto3.client("lambda", region_name=region)

    def function(name: str, code: bytes) -> None:
        fn.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                           Code={"ZipFile": code})

    function("invoice-renderer", package({"app.py": CLEAN_HANDLER, "config.py": f'DB_PASSWORD = "{CODE_PASSWORD}"\n',
                                          "static/logo.png": PNG}))
    shared = package({"app.py": CLEAN_HANDLER, ".env": f"API_TOKEN={SHARED_CODE_TOKEN}\n"})
    function("webhook-a", shared)
    function("webhook-b", shared)
    function("clean-worker", package({"app.py": CLEAN_HANDLER}))
    function("orders-worker", package({"app.py": CLEAN_HANDLER, "settings.json": json.dumps(
        {"api": {"url": "https://api.example.com", "api_key": OLD_VERSION_CODE_KEY}})}))
    fn.publish_version(FunctionName="orders-worker")  # version 1 keeps the key ...
    fn.update_function_code(FunctionName="orders-worker", ZipFile=package({"app.py": CLEAN_HANDLER}))  # ... $LATEST not
    fn.create_function(FunctionName="image-worker", Role=role, PackageType="Image",
                       Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:1"})
    fn.publish_layer_version(LayerName="shared-libs", Content={"ZipFile": package(
        {"python/settings/.env": f"DB_PASSWORD={LAYER_PASSWORD}\n", "python/lib/util.py": "X = 1\n"})})
    fn.publish_layer_version(LayerName="shared-libs", Content={"ZipFile": package({"python/lib/util.py": "X = 2\n"})})
    fn.publish_layer_version(LayerName="clean-utils", Content={"ZipFile": package({"python/lib/util.py": "X = 3\n"})})


def seed_s3(region: str, planted: Planted) -> None:
    """A public bucket with a .env file and Terraform state, a private one with an AWS credentials file, and two
    clean ones (a public key and a config without secrets; logs)."""
    planted.secrets += [S3_ENV_PASSWORD, S3_STATE_PASSWORD, S3_KEY_SECRET]
    s3 = boto3.client("s3", region_name=region)
    state = {"version": 4, "resources": [{"type": "aws_db_instance", "name": "main", "instances": [{"attributes": {
        "identifier": "main", "username": "admin", "password": S3_STATE_PASSWORD}}]}]}
    buckets = {
        "deploy-artifacts": {"releases/app-1.2.txt": "build 1.2\n", "app/.env": f"DB_PASSWORD={S3_ENV_PASSWORD}\n",
                             "terraform/prod.tfstate": json.dumps(state, indent=2)},
        "ops-notes": {"home/ops/.aws/credentials": f"[default]\naws_access_key_id = AKIAQ3EGRJ6XRBM7YQZP\n"
                                                   f"aws_secret_access_key = {S3_KEY_SECRET}\n"},
        "team-configs": {"web/public/config.json": json.dumps({"apiUrl": "https://api.example.com", "retries": 3}),
                         "ssh/id_rsa.pub": "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 deploy@example\n"},
        "build-logs": {f"logs/build-{n}.log": f"build {n} ok\n" for n in range(5)},
    }
    for bucket, objects in buckets.items():
        s3.create_bucket(Bucket=bucket)
        for key, body in objects.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::deploy-artifacts/*"}
    s3.put_bucket_policy(Bucket="deploy-artifacts", Policy=json.dumps({"Version": "2012-10-17",
                                                                       "Statement": [everyone]}))
    s3.put_public_access_block(Bucket="ops-notes", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})


def seed_secret_sources(region: str = "us-east-1") -> Planted:
    """A leak and its good twin in every source this round added, in one region."""
    guard()
    planted = Planted()
    for seeder in (seed_ssm_documents, seed_batch, seed_step_functions, seed_glue, seed_sagemaker, seed_api_gateway,
                   seed_codebuild_sources, seed_beanstalk, seed_templates, seed_tags, seed_lambda_code, seed_s3):
        seeder(region, planted)
    return planted
