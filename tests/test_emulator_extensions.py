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
