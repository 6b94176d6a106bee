"""The emulator's additions to moto, each exercised through boto3 as a scan would call them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from freezegun import freeze_time

from auditpack.emulator.extensions import EXTENSIONS

TESTS = __import__("pathlib").Path(__file__).parent


@pytest.mark.parametrize("name", EXTENSIONS.names())
def test_every_extension_says_why_and_is_tested(name):
    ext = EXTENSIONS[name]
    assert ext.reason and ext.operations and ext.service
    source = (TESTS / "test_emulator_extensions.py").read_text()
    assert all(op in source for op in ext.operations), f"{name}: test every operation it adds"


def test_guardduty_findings_are_created_filtered_and_read(aws):
    guardduty = boto3.client("guardduty", region_name="us-east-1")
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    with freeze_time(datetime.now(UTC) - timedelta(days=30)):
        guardduty.create_sample_findings(  # CreateSampleFindings
            DetectorId=detector, FindingTypes=["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
                                               "Recon:EC2/PortProbeUnprotectedPort"])
    high = guardduty.list_findings(  # ListFindings
        DetectorId=detector, FindingCriteria={"Criterion": {"severity": {"GreaterThanOrEqual": 7},
                                                            "service.archived": {"Equals": ["false"]}}})
    assert len(high["FindingIds"]) == 1
    every = guardduty.list_findings(DetectorId=detector)["FindingIds"]
    assert len(every) == 2
    [finding] = guardduty.get_findings(DetectorId=detector, FindingIds=high["FindingIds"])["Findings"]  # GetFindings
    assert finding["Severity"] == 8.0 and finding["Type"].startswith("UnauthorizedAccess:")
    created = datetime.fromisoformat(finding["CreatedAt"].replace("Z", "+00:00"))
    assert timedelta(days=29) < datetime.now(UTC) - created < timedelta(days=31), "the emulator's clock is used"
    other = boto3.client("guardduty", region_name="us-west-2").create_detector(Enable=True)["DetectorId"]
    assert boto3.client("guardduty", region_name="us-west-2").list_findings(DetectorId=other)["FindingIds"] == []


def test_a_reset_clears_what_an_extension_keeps(aws):
    guardduty = boto3.client("guardduty", region_name="us-east-1")
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    guardduty.create_sample_findings(DetectorId=detector, FindingTypes=["Policy:IAMUser/RootCredentialUsage"])
    aws.reset()
    detector = guardduty.create_detector(Enable=True)["DetectorId"]
    assert guardduty.list_findings(DetectorId=detector)["FindingIds"] == []


def test_noecho_parameters_read_as_stars(aws):
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    template = {"Parameters": {"Pw": {"Type": "String", "NoEcho": True}, "Stage": {"Type": "String"}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    cfn.create_stack(StackName="noecho", TemplateBody=__import__("json").dumps(template), Parameters=[
        {"ParameterKey": "Pw", "ParameterValue": "hidden-value"}, {"ParameterKey": "Stage", "ParameterValue": "prod"}])
    [stack] = cfn.describe_stacks(StackName="noecho")["Stacks"]  # DescribeStacks
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {"Pw": "****", "Stage": "prod"}


def test_codebuild_keeps_secondary_sources(aws):
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="cb", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cb = boto3.client("codebuild", region_name="us-east-1")
    cb.create_project(  # CreateProject
        name="two-sources", source={"type": "GITHUB", "location": "https://github.com/o/a.git"},
        secondarySources=[{"type": "GITHUB", "location": "https://github.com/o/b.git", "sourceIdentifier": "b"}],
        artifacts={"type": "NO_ARTIFACTS"}, serviceRole=role,
        environment={"type": "LINUX_CONTAINER", "image": "x", "computeType": "BUILD_GENERAL1_SMALL"})
    [project] = cb.batch_get_projects(names=["two-sources"])["projects"]  # BatchGetProjects
    assert [s["location"] for s in project["secondarySources"]] == ["https://github.com/o/b.git"]


def test_batch_accepts_and_describes_ecs_properties(aws):
    batch = boto3.client("batch", region_name="us-east-1")
    ecs = {"taskProperties": [{"containers": [{"name": "app", "image": "app:1",
                                                "environment": [{"name": "STAGE", "value": "prod"}]}]}]}
    # RegisterJobDefinition
    batch.register_job_definition(jobDefinitionName="on-ecs", type="container", ecsProperties=ecs)
    [job] = batch.describe_job_definitions(jobDefinitionName="on-ecs")["jobDefinitions"]  # DescribeJobDefinitions
    assert job["ecsProperties"]["taskProperties"][0]["containers"][0]["environment"] == [
        {"name": "STAGE", "value": "prod"}]
    with pytest.raises(batch.exceptions.ClientException):
        batch.register_job_definition(jobDefinitionName="none", type="container")


def test_beanstalk_keeps_option_settings_and_describes_them(aws):
    eb = boto3.client("elasticbeanstalk", region_name="us-east-1")
    eb.create_application(ApplicationName="shop")
    eb.create_environment(  # CreateEnvironment
        ApplicationName="shop", EnvironmentName="shop-prod", SolutionStackName="64bit Amazon Linux 2023",
        OptionSettings=[{"Namespace": "aws:elasticbeanstalk:application:environment", "OptionName": "STAGE",
                         "Value": "prod"}])
    settings = eb.describe_configuration_settings(  # DescribeConfigurationSettings
        ApplicationName="shop", EnvironmentName="shop-prod")["ConfigurationSettings"]
    assert settings[0]["OptionSettings"] == [{"Namespace": "aws:elasticbeanstalk:application:environment",
                                              "OptionName": "STAGE", "Value": "prod"}]


def test_sagemaker_lists_lifecycle_configs(aws):
    sm = boto3.client("sagemaker", region_name="us-east-1")
    sm.create_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="boot",
                                                 OnStart=[{"Content": "ZWNobyBoaQ=="}])
    # ListNotebookInstanceLifecycleConfigs
    listed = sm.list_notebook_instance_lifecycle_configs()["NotebookInstanceLifecycleConfigs"]
    assert [c["NotebookInstanceLifecycleConfigName"] for c in listed] == ["boot"]


def _package(files: dict[str, str]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_code_and_layer_locations_serve_the_stored_package_on_loopback(aws):
    import base64
    import hashlib
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    role = boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    fn = boto3.client("lambda", region_name="us-east-1")
    package = _package({"handler.py": "def handler(e, c):\n    return 1\n"})
    fn.create_function(FunctionName="coded", Runtime="python3.12", Role=role, Handler="handler.handler",
                       Code={"ZipFile": package})
    fn.publish_version(FunctionName="coded")
    for qualifier in ("$LATEST", "1"):
        got = fn.get_function(FunctionName="coded", Qualifier=qualifier)  # GetFunction
        url = got["Code"]["Location"]
        assert urlsplit(url).hostname == "127.0.0.1" and "X-Amz-Credential" in url
        with urllib.request.urlopen(url, timeout=10) as reply:
            data = reply.read()
        assert base64.b64encode(hashlib.sha256(data).digest()).decode() == got["Configuration"]["CodeSha256"]
    layer = fn.publish_layer_version(LayerName="shared", Content={"ZipFile": package})  # PublishLayerVersion
    assert layer["Content"]["Location"].startswith("http://127.0.0.1")
    listed = fn.list_layer_versions(LayerName="shared")["LayerVersions"]  # ListLayerVersions
    assert listed[0]["LayerVersionArn"] == layer["LayerVersionArn"]
    got = fn.get_layer_version(LayerName="shared", VersionNumber=1)  # GetLayerVersion
    with urllib.request.urlopen(got["Content"]["Location"], timeout=10) as reply:
        assert reply.read() == package
    missing = got["Content"]["Location"].replace("/shared/1", "/shared/9")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(missing, timeout=10)


def test_locations_serve_the_package_when_lambda_runs_without_docker(aws):
    """The demo turns Docker off for rotation, and moto then keeps functions in its simple backend."""
    import json
    import os
    import urllib.request

    def use_docker(on: bool) -> None:
        request = urllib.request.Request(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/config", method="POST",
                                         data=json.dumps({"lambda": {"use_docker": on}}).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()

    use_docker(False)
    try:
        role = boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        fn = boto3.client("lambda", region_name="us-east-1")
        package = _package({"handler.py": "def handler(e, c):\n    return 2\n"})
        fn.create_function(FunctionName="simple", Runtime="python3.12", Role=role, Handler="handler.handler",
                           Code={"ZipFile": package})
        url = fn.get_function(FunctionName="simple")["Code"]["Location"]  # GetFunction
        with urllib.request.urlopen(url, timeout=10) as reply:
            assert reply.read() == package
    finally:
        use_docker(True)


def test_get_access_key_info_names_the_account_the_key_id_encodes(aws):
    from auditpack.emulator.seeding.organization import create_organization, in_account

    _management, members = create_organization("workload")
    with in_account(members["workload"]):
        iam = boto3.client("iam")
        iam.create_user(UserName="deployer")
        key = iam.create_access_key(UserName="deployer")["AccessKey"]["AccessKeyId"]
    info = boto3.client("sts", region_name="us-east-1").get_access_key_info(AccessKeyId=key)  # GetAccessKeyInfo
    assert info["Account"] == members["workload"], "decoded from the id, not the caller's account"
    from auditpack.emulator.extensions.sts import account_of_key

    assert account_of_key("AKIAIOSFODNN7EXAMPLE") == "581039954779"  # as AWS decodes its documentation key
    assert account_of_key("AKIA0189") is None


def test_quarantine_policies_attach_and_only_attached_aws_policies_are_listed(aws):
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="exposed")
    arn = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"
    iam.attach_user_policy(UserName="exposed", PolicyArn=arn)  # AttachUserPolicy
    details = iam.get_account_authorization_details(  # GetAccountAuthorizationDetails
        Filter=["User", "AWSManagedPolicy", "LocalManagedPolicy"])
    assert [p["Arn"] for p in details["Policies"]] == [arn], "AWS lists the AWS managed policies in use only"
    [version] = [v for v in details["Policies"][0]["PolicyVersionList"] if v["IsDefaultVersion"]]
    assert "iam:CreateAccessKey" in str(version["Document"])


def test_lookup_events_answers_from_seeded_history_like_aws(aws):
    from auditpack.emulator.seeding.activity import Caller, record, seed_history

    account = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    now = datetime.now(UTC)
    leaked = Caller(account, "ci", "AKIAQAAAAAAAAAAAAAAA", "198.51.100.7", "python-requests/2.31")
    other = Caller(account, "ops", "AKIAQAAAAAAAAAAAAAAB", "203.0.113.10", "aws-cli/2.15")
    seed_history([record(leaked, "GetCallerIdentity", source="sts", region="us-east-1",
                         when=now - timedelta(hours=n), read_only=True) for n in range(1, 61)])
    seed_history([record(other, "CreateUser", source="iam", region="us-east-1", when=now - timedelta(days=2),
                         request={"userName": "x"}),
                  record(leaked, "RunInstances", source="ec2", region="ap-southeast-1", when=now - timedelta(days=1)),
                  record(leaked, "CreateUser", source="iam", region="us-east-1", when=now - timedelta(days=100))])
    trail = boto3.client("cloudtrail", region_name="us-east-1")
    by_key = [{"AttributeKey": "AccessKeyId", "AttributeValue": leaked.access_key_id}]
    first = trail.lookup_events(LookupAttributes=by_key)  # LookupEvents
    assert len(first["Events"]) == 50 and first["NextToken"]
    times = [e["EventTime"] for e in first["Events"]]
    assert times == sorted(times, reverse=True), "newest first"
    rest = trail.lookup_events(LookupAttributes=by_key, NextToken=first["NextToken"])
    assert len(rest["Events"]) == 10 and "NextToken" not in rest, "the 100-day-old event is past the history"
    event = json.loads(first["Events"][0]["CloudTrailEvent"])
    assert event["sourceIPAddress"] == "198.51.100.7" and event["userIdentity"]["userName"] == "ci"
    named = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])
    assert [e["Username"] for e in named["Events"]] == ["ops"]
    window = trail.lookup_events(StartTime=now - timedelta(hours=3), EndTime=now - timedelta(minutes=30))
    assert len(window["Events"]) == 2
    elsewhere = boto3.client("cloudtrail", region_name="ap-southeast-1").lookup_events(LookupAttributes=by_key)
    assert [e["EventName"] for e in elsewhere["Events"]] == ["RunInstances"], "each region has its own history"
    with pytest.raises(trail.exceptions.InvalidLookupAttributesException):
        trail.lookup_events(LookupAttributes=[*by_key, {"AttributeKey": "EventName", "AttributeValue": "x"}])
    aws.reset()
    assert trail.lookup_events(LookupAttributes=by_key)["Events"] == []


def test_a_users_permissions_boundary_is_kept_and_listed(aws):
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="bounded")
    cap = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="cap", PolicyDocument=json.dumps(cap))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=arn)  # PutUserPermissionsBoundary
    [user] = iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                           "PermissionsBoundaryArn": arn}


def _lambda_function(name: str = "web") -> str:
    import io
    import json
    import zipfile

    from auditpack.emulator.seeding.identity import LAMBDA_TRUST, _lambda_without_docker

    _lambda_without_docker()
    role = boto3.client("iam").create_role(RoleName=f"{name}-role",
                                           AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    created = boto3.client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                                     Handler="index.handler", Code={"ZipFile": code.getvalue()})
    return created["FunctionArn"]


def test_function_urls_are_listed(aws):
    arn = _lambda_function()
    lam = boto3.client("lambda")
    assert lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"] == []  # ListFunctionUrlConfigs
    lam.create_function_url_config(FunctionName="web", AuthType="NONE")
    [url] = lam.list_function_url_configs(FunctionName="web")["FunctionUrlConfigs"]
    assert url["AuthType"] == "NONE" and url["FunctionArn"] == arn and url["FunctionUrl"].startswith("https://")


def test_config_recorder_succeeds_and_delivery_status_follows_the_bucket(aws):
    config = boto3.client("config")
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-missing-bucket"})
    [channel] = config.describe_delivery_channel_status()["DeliveryChannelsStatus"]  # DescribeDeliveryChannelStatus
    assert channel["configHistoryDeliveryInfo"]["lastStatus"] == "Not_Applicable", "nothing records yet"
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    [status] = config.describe_configuration_recorder_status()[  # DescribeConfigurationRecorderStatus
        "ConfigurationRecordersStatus"]
    assert status["recording"] and status["lastStatus"] == "Success"
    [channel] = config.describe_delivery_channel_status()["DeliveryChannelsStatus"]
    assert channel["configHistoryDeliveryInfo"]["lastStatus"] == "Failure", "its bucket does not exist"
    boto3.client("s3").create_bucket(Bucket="config-missing-bucket")
    [channel] = config.describe_delivery_channel_status()["DeliveryChannelsStatus"]
    assert channel["configHistoryDeliveryInfo"]["lastStatus"] == "Success"


def test_budget_subscribers_are_read_per_notification(aws):
    budgets = boto3.client("budgets")
    notification = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0}
    budgets.create_budget(AccountId="123456789012", Budget={
        "BudgetName": "monthly", "BudgetLimit": {"Amount": "100", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST"}, NotificationsWithSubscribers=[{
            "Notification": notification, "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}]}])
    subscribers = budgets.describe_subscribers_for_notification(  # DescribeSubscribersForNotification
        AccountId="123456789012", BudgetName="monthly", Notification=notification)["Subscribers"]
    assert subscribers == [{"SubscriptionType": "EMAIL", "Address": "a@example.com"}]
    other = {**notification, "NotificationType": "FORECASTED"}
    with pytest.raises(budgets.exceptions.NotFoundException):
        budgets.describe_subscribers_for_notification(AccountId="123456789012", BudgetName="monthly",
                                                      Notification=other)


def test_email_subscriptions_stay_pending_until_confirmed(aws):
    from auditpack.emulator.extensions.sns import confirmation_token

    sns = boto3.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    assert queue["SubscriptionArn"].startswith(topic), "an SQS subscription is confirmed at once"
    reply = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")  # Subscribe
    assert reply["SubscriptionArn"] == "pending confirmation"
    listed = {s["Protocol"]: s["SubscriptionArn"]
              for s in sns.list_subscriptions()["Subscriptions"]}  # ListSubscriptions
    assert listed["email"] == "PendingConfirmation" and listed["sqs"].startswith(topic)
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.confirm_subscription(TopicArn=topic, Token="not-the-token")
    confirmed = sns.confirm_subscription(  # ConfirmSubscription
        TopicArn=topic, Token=confirmation_token(topic, "oncall@example.com"))["SubscriptionArn"]
    by_topic = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]  # ListSubscriptionsByTopic
    assert confirmed in {s["SubscriptionArn"] for s in by_topic}


def test_instance_metadata_defaults_are_kept_per_region(aws):
    ec2 = boto3.client("ec2", region_name="us-east-1")
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {}  # GetInstanceMetadataDefaults
    ec2.modify_instance_metadata_defaults(  # ModifyInstanceMetadataDefaults
        HttpTokens="required", HttpPutResponseHopLimit=2)
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {"HttpTokens": "required",
                                                                    "HttpPutResponseHopLimit": 2}
    assert boto3.client("ec2", region_name="us-west-2").get_instance_metadata_defaults()["AccountLevel"] == {}
    ec2.modify_instance_metadata_defaults(HttpTokens="no-preference")
    assert "HttpTokens" not in ec2.get_instance_metadata_defaults()["AccountLevel"]
