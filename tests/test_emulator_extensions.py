"""The emulator's additions to moto, each exercised through boto3 as a scan would call them."""

from __future__ import annotations

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
