"""Seeds for the prevention family: least privilege beyond users, exposure, and the alerts that fire.

``seed_prevention`` builds each weakness beside its good twin (the integration tests and the demo);
``seed_clean_account`` configures an account well everywhere these checks look, so that none of them fails.
Pending SNS subscriptions are confirmed with the emulator's token (``extensions.sns.confirmation_token``), as
the endpoint would confirm them from the message AWS sends.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

from auditpack.collect.session import disable_account_prefix_for_custom_endpoints
from auditpack.emulator.extensions.sns import confirmation_token
from auditpack.emulator.seeding import guard
from auditpack.emulator.seeding.identity import ALLOW_ALL, EC2_TRUST, LAMBDA_TRUST, READ_BUCKET, days_ago

PARTNER_ACCOUNT = "210987654321"
URL_FUNCTION_PASSWORD = "Lambda-Url-Passw0rd-7f3a9c"  # planted in a public function's environment
ORG_ID = "o-exampleorg1"
SCOPED_LAMBDA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}


@dataclass
class PreventionSeed:
    """What was seeded, for tests that assert verdicts and prove the planted secret never leaves memory."""

    secrets: list[str] = field(default_factory=list)
    account: str = ""


def _account() -> str:
    return boto3.client("sts").get_caller_identity()["Account"]


def _trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def _bucket(name: str, region: str) -> None:
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, **({} if region == "us-east-1" else
                                      {"CreateBucketConfiguration": {"LocationConstraint": region}}))


# --- least privilege beyond users ---------------------------------------------------------------------------


def roles(*, weak: bool = True) -> None:
    """An approved break-glass role and a scoped one; with ``weak``, a CI role that is a full administrator
    through an innocuously named policy, and a vendor role anyone can assume."""
    guard()
    iam = boto3.client("iam")
    account = _account()
    # AWS Organizations creates it in member accounts (the demo's Organization too)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="OrganizationAccountAccessRole", AssumeRolePolicyDocument=_trust(
            {"AWS": f"arn:aws:iam::{account}:root"}))
    iam.put_role_policy(RoleName="OrganizationAccountAccessRole", PolicyName="AdministratorAccess",
                        PolicyDocument=json.dumps(ALLOW_ALL))
    iam.create_role(RoleName="app-reader", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    iam.put_role_policy(RoleName="app-reader", PolicyName="read-reports", PolicyDocument=json.dumps(READ_BUCKET))
    iam.create_role(RoleName="vendor-audit", AssumeRolePolicyDocument=_trust(
        {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:root"}, {"StringEquals": {"sts:ExternalId": "vendor-7731"}}))
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    if weak:
        arn = iam.create_policy(PolicyName="DeploySupport", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"]["Arn"]
        iam.create_role(RoleName="ci-deployer", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        iam.attach_role_policy(RoleName="ci-deployer", PolicyArn=arn)
        iam.create_role(RoleName="vendor-audit-open", AssumeRolePolicyDocument=_trust({"AWS": "*"}))


def users(*, weak: bool = True) -> None:
    """A developer with permissions through a group and a new joiner with a fresh console password; with
    ``weak``, a contractor with a policy of their own and an engineer who left 200 days ago."""
    guard()
    iam = boto3.client("iam")
    iam.create_group(GroupName="developers")
    iam.put_group_policy(GroupName="developers", PolicyName="read-reports", PolicyDocument=json.dumps(READ_BUCKET))
    iam.create_user(UserName="group-member")
    iam.add_user_to_group(GroupName="developers", UserName="group-member")
    iam.create_user(UserName="new-joiner")
    iam.create_login_profile(UserName="new-joiner", Password="Seeded-Passw0rd-Not-Real!")
    if weak:
        iam.create_user(UserName="contractor-direct")
        arn = iam.create_policy(PolicyName="ContractorAccess",
                                PolicyDocument=json.dumps(READ_BUCKET))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="contractor-direct", PolicyArn=arn)
        with days_ago(200):
            iam.create_user(UserName="departed-engineer")
            iam.create_login_profile(UserName="departed-engineer", Password="Seeded-Passw0rd-Not-Real!")


# --- resource policies --------------------------------------------------------------------------------------


def resource_policies(region: str, *, weak: bool = True) -> None:
    """A secret shared with the organization only and a key with its default policy; with ``weak``, a secret
    and a key whose policies let anyone in."""
    guard()
    sm = boto3.client("secretsmanager", region_name=region)
    kms = boto3.client("kms", region_name=region)
    shared = sm.create_secret(Name="shared-with-org", SecretString="seeded-shared-value-0123456789")["ARN"]
    sm.put_resource_policy(SecretId=shared, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}]}))
    key = kms.create_key(Description="account-only")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/account-only", TargetKeyId=key)
    if weak:
        opened = sm.create_secret(Name="shared-with-anyone", SecretString="seeded-open-value-0123456789")["ARN"]
        sm.put_resource_policy(SecretId=opened, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
        account = _account()
        policy = {"Version": "2012-10-17", "Statement": [
            {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
             "Resource": "*"}]}
        key = kms.create_key(Description="open-to-anyone", Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/open-to-anyone", TargetKeyId=key)


# --- exposure -----------------------------------------------------------------------------------------------


def s3(region: str, *, weak: bool = True) -> None:
    """A private bucket and one whose public policy its own Block Public Access neutralises, and the account's
    settings; with ``weak``, a bucket readable by anyone through its policy, one through its ACL, and the
    account's settings half on."""
    guard()
    client = boto3.client("s3", region_name=region)
    account = _account()
    public_read = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": ""}]}

    def public_policy(name: str) -> None:
        public_read["Statement"][0]["Resource"] = f"arn:aws:s3:::{name}/*"
        client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read))

    _bucket(f"private-data-{account}", region)
    _bucket(f"blocked-site-{account}", region)
    public_policy(f"blocked-site-{account}")
    client.put_public_access_block(Bucket=f"blocked-site-{account}", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    control = boto3.client("s3control", region_name=region)
    disable_account_prefix_for_custom_endpoints(control)  # the emulator on loopback has no <account>. host
    if not weak:
        control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        return
    _bucket(f"public-assets-{account}", region)
    public_policy(f"public-assets-{account}")
    _bucket(f"acl-public-{account}", region)
    client.put_bucket_acl(Bucket=f"acl-public-{account}", ACL="public-read")
    control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})


def _zip() -> bytes:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return code.getvalue()


def lambda_urls(region: str, seed: PreventionSeed, *, weak: bool = True) -> None:
    """A function URL that needs IAM; with ``weak``, a public URL on a function with a scoped role and one on a
    function holding a password and running as an administrator (the seeds' incident)."""
    from auditpack.emulator.seeding.identity import _lambda_without_docker

    guard()
    _lambda_without_docker()
    iam = boto3.client("iam")
    lam = boto3.client("lambda", region_name=region)
    scoped = iam.create_role(RoleName=f"url-scoped-{region}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.put_role_policy(RoleName=f"url-scoped-{region}", PolicyName="logs", PolicyDocument=json.dumps(SCOPED_LAMBDA))

    def function(name: str, role: str, env: dict[str, str], auth: str) -> None:
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
                            Code={"ZipFile": _zip()}, Environment={"Variables": env})
        lam.create_function_url_config(FunctionName=name, AuthType=auth)

    function("private-api", scoped["Role"]["Arn"], {"STAGE": "prod"}, "AWS_IAM")
    if weak:
        function("public-hook", scoped["Role"]["Arn"], {"STAGE": "prod"}, "NONE")
        admin = iam.create_role(RoleName=f"url-admin-{region}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
        iam.put_role_policy(RoleName=f"url-admin-{region}", PolicyName="everything",
                            PolicyDocument=json.dumps(ALLOW_ALL))
        function("public-api", admin["Role"]["Arn"], {"DB_PASSWORD": URL_FUNCTION_PASSWORD}, "NONE")
        seed.secrets.append(URL_FUNCTION_PASSWORD)


def launch_templates(region: str, *, weak: bool = True) -> None:
    """A template requiring IMDSv2, one fixed in its latest (and default) version, one that leaves it to the
    account default (set unless ``weak``); with ``weak``, one allowing IMDSv1."""
    guard()
    ec2 = boto3.client("ec2", region_name=region)
    ec2.create_launch_template(LaunchTemplateName="web-imdsv2",
                               LaunchTemplateData={"MetadataOptions": {"HttpTokens": "required"}})
    ec2.create_launch_template(LaunchTemplateName="worker-fixed",
                               LaunchTemplateData={"MetadataOptions": {"HttpTokens": "optional"}})
    ec2.create_launch_template_version(LaunchTemplateName="worker-fixed",
                                       LaunchTemplateData={"MetadataOptions": {"HttpTokens": "required"}})
    ec2.modify_launch_template(LaunchTemplateName="worker-fixed", DefaultVersion="2")
    ec2.create_launch_template(LaunchTemplateName="batch-default", LaunchTemplateData={"InstanceType": "t3.micro"})
    if weak:
        ec2.create_launch_template(LaunchTemplateName="legacy-imdsv1",
                                   LaunchTemplateData={"MetadataOptions": {"HttpTokens": "optional"}})
    else:
        ec2.modify_instance_metadata_defaults(HttpTokens="required")


# --- monitoring ---------------------------------------------------------------------------------------------


def config_recorder(region: str) -> None:
    """A recorder of every supported resource, a delivery channel to an existing bucket, recording."""
    guard()
    account = _account()
    bucket = f"config-{account}-{region}"
    _bucket(bucket, region)
    config = boto3.client("config", region_name=region)
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/"
        "AWSServiceRoleForConfig", "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


def topic(region: str, name: str, *, confirmed: bool = True) -> str:
    """An SNS topic with an e-mail subscription, confirmed as its recipient would (or left pending)."""
    sns = boto3.client("sns", region_name=region)
    arn = sns.create_topic(Name=name)["TopicArn"]
    endpoint = f"{name}@example.com"
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=endpoint)
    if confirmed:
        sns.confirm_subscription(TopicArn=arn, Token=confirmation_token(arn, endpoint))
    return arn


# CIS AWS Foundations' metric filter patterns for the four alerts.
FILTERS = {
    "iam-policy-changes": "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"
    "($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||"
    "($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||"
    "($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||"
    "($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||"
    "($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}",
    "access-key-creation": '{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateAccessKey") }',
    "root-activity": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }',
    "logging-changes": "{ ($.eventName = StopLogging) || ($.eventName = DeleteTrail) || "
    "($.eventName = UpdateTrail) || ($.eventName = DeleteDetector) }",
}
LOGGING_RULE = {"source": ["aws.cloudtrail", "aws.guardduty"], "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventName": ["StopLogging", "DeleteTrail", "UpdateTrail", "DeleteDetector"]}}
KEY_RULE = {"source": ["aws.iam"], "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": ["CreateAccessKey"]}}
POLICY_RULE = {"source": ["aws.iam"], "detail": {"eventName": [
    {"prefix": "Attach"}, {"prefix": "Detach"}, {"prefix": "Put"}, "CreatePolicy", "DeletePolicy",
    "CreatePolicyVersion", "DeletePolicyVersion", "DeleteRolePolicy", "DeleteUserPolicy", "DeleteGroupPolicy"]}}


def metric_alerts(region: str, names: tuple[str, ...] = tuple(FILTERS)) -> None:
    """A multi-region trail delivering to CloudWatch Logs, and for each named alert a metric filter, an alarm
    on its metric and a topic with a confirmed subscriber (CIS AWS Foundations' way)."""
    guard()
    account = _account()
    logs = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName="cloudtrail-events")
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:cloudtrail-events:*"
    bucket = f"alert-trail-{account}"
    _bucket(bucket, region)
    delivery_role = boto3.client("iam").create_role(RoleName="cloudtrail-to-logs", AssumeRolePolicyDocument=_trust(
        {"Service": "cloudtrail.amazonaws.com"}))["Role"]["Arn"]
    trail = boto3.client("cloudtrail", region_name=region)
    trail.create_trail(Name="alert-trail", S3BucketName=bucket, IsMultiRegionTrail=True,
                       CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=delivery_role)
    trail.start_logging(Name="alert-trail")
    alarms = boto3.client("cloudwatch", region_name=region)
    for name in names:
        logs.put_metric_filter(logGroupName="cloudtrail-events", filterName=name, filterPattern=FILTERS[name],
                               metricTransformations=[{"metricName": name, "metricNamespace": "CISBenchmark",
                                                       "metricValue": "1"}])
        alarms.put_metric_alarm(AlarmName=f"{name}-alarm", MetricName=name, Namespace="CISBenchmark",
                                Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold",
                                AlarmActions=[topic(region, f"{name}-alerts")])


def rule(region: str, name: str, pattern: dict[str, Any], target: str | None) -> None:
    events = boto3.client("events", region_name=region)
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    if target:
        events.put_targets(Rule=name, Targets=[{"Id": "notify", "Arn": target}])


def event_alerts(regions: tuple[str, ...]) -> None:
    """EventBridge alerts with gaps, the weak account's: logging changes reach someone in every region; the
    access key rule has no target; the policy rule's topic was never confirmed; nothing watches root."""
    guard()
    for region in regions:
        rule(region, "logging-changes", LOGGING_RULE, topic(region, f"security-{region}"))
    rule("us-east-1", "access-key-created", KEY_RULE, None)
    rule("us-east-1", "iam-policy-changed", POLICY_RULE, topic("us-east-1", "iam-changes", confirmed=False))


def budget(*, subscribed: bool = True) -> None:
    guard()
    notification = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0}
    budgets = boto3.client("budgets", region_name="us-east-1")
    budgets.create_budget(AccountId=_account(), Budget={
        "BudgetName": "monthly-spend", "BudgetLimit": {"Amount": "200", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST"}, NotificationsWithSubscribers=[{
            "Notification": notification,
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "finance@example.com"}]}] if subscribed else [])


# --- whole accounts -----------------------------------------------------------------------------------------


def seed_prevention(regions: tuple[str, ...] = ("us-east-1", "us-west-2")) -> PreventionSeed:
    """Every weakness beside its good twin; Config records only in the first region, alerts have the gaps of
    ``event_alerts``, and the only budget tells no one."""
    seed = PreventionSeed(account=_account())
    home = regions[0]
    roles()
    users()
    resource_policies(home)
    s3(home)
    lambda_urls(home, seed)
    launch_templates(home)
    config_recorder(home)
    event_alerts(regions)
    budget(subscribed=False)
    return seed


def seed_clean_account(regions: tuple[str, ...] = ("us-east-1", "us-west-2")) -> PreventionSeed:
    """Everything these checks look at, configured well: only good twins, Config in every region, every alert
    through a metric filter, a budget that e-mails someone."""
    seed = PreventionSeed(account=_account())
    home = regions[0]
    roles(weak=False)
    users(weak=False)
    resource_policies(home, weak=False)
    s3(home, weak=False)
    lambda_urls(home, seed, weak=False)
    launch_templates(home, weak=False)
    for region in regions:
        if region != home:
            boto3.client("ec2", region_name=region).modify_instance_metadata_defaults(HttpTokens="required")
        config_recorder(region)
    metric_alerts(home)
    budget()
    return seed
