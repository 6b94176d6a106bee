"""The second round of secret sources, end to end against the emulator: in each, the leak fails and the good practice
beside it passes; every planted value is absent from every output, the evidence of calls no collector declares
secret (an instance's tags, a source URL) included."""

from __future__ import annotations

import pytest

from auditpack.emulator.seeding.secret_sources import seed_secret_sources
from tests.helpers import load_assessment, run_cli
from tests.secretsearch import assert_never_written

CHECKS = ("ssm_document_no_secrets", "batch_job_definition_no_secrets", "stepfunctions_definition_no_secrets",
          "glue_job_no_secrets", "glue_connection_no_plaintext_password", "sagemaker_lifecycle_no_secrets",
          "apigateway_stage_variables_no_secrets", "codebuild_source_no_credentials",
          "elasticbeanstalk_env_no_secrets", "cloudformation_template_no_secrets", "resource_tags_no_secrets",
          "lambda_code_no_secrets", "lambda_layer_no_secrets", "s3_no_credential_files")
EXPECTED = {
    ("ssm_document_no_secrets", "db-bootstrap"): "fail",
    ("ssm_document_no_secrets", "db-bootstrap-secure"): "pass",  # {{ssm-secure:...}}
    ("batch_job_definition_no_secrets", "etl-container:1"): "fail",
    ("batch_job_definition_no_secrets", "etl-ecs:1"): "fail",  # ecsProperties
    ("batch_job_definition_no_secrets", "etl-secure:1"): "pass",  # secrets/valueFrom
    ("stepfunctions_definition_no_secrets", "notify-http"): "fail",
    ("stepfunctions_definition_no_secrets", "notify-connection"): "pass",  # EventBridge connection, .$ path
    ("glue_job_no_secrets", "nightly-etl"): "fail",
    ("glue_job_no_secrets", "nightly-etl-secure"): "pass",
    ("glue_connection_no_plaintext_password", "warehouse-jdbc"): "fail",  # stores its password
    ("glue_connection_no_plaintext_password", "reports-jdbc"): "fail",  # a secret, but a password in its URL
    ("glue_connection_no_plaintext_password", "warehouse-secret"): "pass",
    ("sagemaker_lifecycle_no_secrets", "notebook-setup"): "fail",
    ("sagemaker_lifecycle_no_secrets", "notebook-setup-secure"): "pass",
    ("apigateway_stage_variables_no_secrets", "orders-api/prod"): "fail",
    ("apigateway_stage_variables_no_secrets", "orders-api/staging"): "pass",
    ("codebuild_source_no_credentials", "site-deploy"): "fail",
    ("codebuild_source_no_credentials", "docs-build"): "fail",  # secondary source
    ("codebuild_source_no_credentials", "api-deploy"): "pass",
    ("elasticbeanstalk_env_no_secrets", "shop-prod"): "fail",
    ("elasticbeanstalk_env_no_secrets", "shop-staging"): "pass",
    ("cloudformation_template_no_secrets", "legacy-reporting"): "fail",
    ("cloudformation_template_no_secrets", "modern-reporting"): "pass",  # NoEcho, {{resolve:...}}
    ("resource_tags_no_secrets", "ec2 instance tagged-batch-host"): "fail",
    ("resource_tags_no_secrets", "ec2 instance tagged-web-host"): "pass",
    ("resource_tags_no_secrets", "IAM user svc-reporting"): "fail",
    ("resource_tags_no_secrets", "IAM user svc-billing"): "pass",
    ("resource_tags_no_secrets", "IAM role workflow-role"): "fail",
    ("lambda_code_no_secrets", "invoice-renderer"): "fail",
    ("lambda_code_no_secrets", "webhook-a"): "fail",  # one package, two functions
    ("lambda_code_no_secrets", "webhook-b"): "fail",
    ("lambda_code_no_secrets", "clean-worker"): "pass",
    ("lambda_code_no_secrets", "orders-worker"): "fail",  # only published version 1 holds the key
    ("lambda_code_no_secrets", "image-worker"): "not-applicable",
    ("lambda_layer_no_secrets", "shared-libs:1"): "fail",
    ("lambda_layer_no_secrets", "shared-libs:2"): "pass",
    ("lambda_layer_no_secrets", "clean-utils:1"): "pass",
    ("s3_no_credential_files", "deploy-artifacts"): "fail",  # public, .env and Terraform state
    ("s3_no_credential_files", "ops-notes"): "fail",  # private, an AWS credentials file
    ("s3_no_credential_files", "team-configs"): "pass",  # a public key, a config without secrets
    ("s3_no_credential_files", "build-logs"): "pass",
}


@pytest.fixture
def scan_args(tmp_path_factory, monkeypatch):
    """A control folder whose IA-5(7) cites these checks alone (as an organization may narrow it)."""
    folder = tmp_path_factory.mktemp("controls")
    (folder / "ia-5.7.yaml").write_text(
        "id: IA-5(7)\noscal_id: ia-5.7\ntitle: No Embedded Unencrypted Static Authenticators\n"
        f"family: Identification and Authentication\nsummary: New sources only.\nchecks: [{', '.join(CHECKS)}]\n")
    return ("scan", "--region", "us-east-1", "--control", "IA-5(7)", "--controls-dir", str(folder))


def test_each_leak_fails_its_good_twin_passes_and_no_value_is_written(aws, out_dir, capsys, scan_args):
    planted = seed_secret_sources("us-east-1")

    result = run_cli(capsys, *scan_args, "--out", str(out_dir), "--format", "json,oscal,ocsf,asff,csv,html")

    assert result.code == 1, result.stderr
    findings = {(f["check_id"], f["resource"]["name"]): f for f in load_assessment(out_dir)["findings"]}
    assert {k: f["status"] for k, f in findings.items()} == EXPECTED
    assert findings[("glue_connection_no_plaintext_password", "warehouse-jdbc")]["message"] == (
        "connection warehouse-jdbc (us-east-1) stores its password in the connection itself, without a Secrets "
        "Manager reference.")
    assert "holds a token in an Authorization header" in findings[
        ("stepfunctions_definition_no_secrets", "notify-http")]["message"]
    assert "secondary source theme location" in findings[("codebuild_source_no_credentials", "docs-build")]["message"]
    assert findings[("resource_tags_no_secrets", "IAM user svc-reporting")]["region"] == "global"
    renderer = findings[("lambda_code_no_secrets", "invoice-renderer")]["message"]
    assert renderer.startswith("file config.py line 1 of the code of function invoice-renderer (us-east-1) holds a "
                               "password") or "file config.py of the code" in renderer, renderer
    assert renderer.endswith("; 1 file not read: 1 binary."), renderer
    assert "(in version 1)" in findings[("lambda_code_no_secrets", "orders-worker")]["message"]
    assert "container image" in findings[("lambda_code_no_secrets", "image-worker")]["message"]
    artifacts = findings[("s3_no_credential_files", "deploy-artifacts")]["message"]
    assert "object app/.env" in artifacts and "object terraform/prod.tfstate" in artifacts
    assert "the bucket is public: bucket policy" in artifacts and "allows anyone" in artifacts, artifacts
    assert "public" not in findings[("s3_no_credential_files", "ops-notes")]["message"]
    assert "an AWS secret access key" in findings[("s3_no_credential_files", "ops-notes")]["message"]
    assert_never_written(planted.secrets, out_dir, texts=[result.stdout, result.stderr])


def test_a_tag_and_a_source_url_are_scrubbed_from_responses_no_collector_declares(aws, out_dir, capsys, scan_args):
    """DescribeInstances (an instance's tags) and BatchGetProjects (a source URL) are recorded by collectors that
    declare neither field; what the detector found there is scrubbed all the same, and the rest stays readable."""
    from auditpack.emulator.seeding import secret_sources

    seed_secret_sources("us-east-1")
    result = run_cli(capsys, *scan_args, "--out", str(out_dir), "--control", "SC-7")

    assert result.code == 1, result.stderr
    described = "".join(p.read_text() for p in (out_dir / "evidence").rglob("DescribeInstances-*.json"))
    projects = "".join(p.read_text() for p in (out_dir / "evidence").rglob("BatchGetProjects-*.json"))
    assert "db_password" in described and "tagged-batch-host" in described
    assert "https://ci-bot:[redacted]@github.com/example/site.git" in projects
    assert_never_written([secret_sources.TAG_PASSWORD, secret_sources.SOURCE_TOKEN], out_dir)


def test_a_package_is_read_once_however_many_functions_run_it(aws, out_dir, capsys, scan_args, monkeypatch):
    from tests.helpers import api_calls

    seed_secret_sources("us-east-1")
    with api_calls(monkeypatch) as calls:
        run_cli(capsys, *scan_args, "--out", str(out_dir), "--format", "json")
    functions = [params["FunctionName"] for service, op, params in calls if op == "GetFunction"]
    assert len(functions) == len(set(functions)) and not {"webhook-a", "webhook-b"} <= set(functions)
    downloads = list((out_dir / "evidence").rglob("Download-*.json"))
    assert len(downloads) == len(functions) + 3  # and one per layer version
    assert all("X-Amz-Signature" not in p.read_text() for p in downloads)


def test_a_bucket_whose_listing_reached_the_cap_says_so(aws, out_dir, capsys, scan_args, tmp_path):
    seed_secret_sources("us-east-1")
    config = tmp_path / "auditpack.yaml"
    config.write_text("parameters:\n  s3_max_keys_listed_per_bucket: 2\n  s3_max_bytes_read_per_object: 64\n")

    run_cli(capsys, *scan_args, "--out", str(out_dir), "--format", "json", "--config", str(config))

    logs = next(f for f in load_assessment(out_dir)["findings"]
                if f["check_id"] == "s3_no_credential_files" and f["resource"]["name"] == "build-logs")
    assert logs["status"] == "pass"
    assert logs["message"].endswith("; only the first 2 keys were listed: the listing reached the cap."), logs
    notes = next(f for f in load_assessment(out_dir)["findings"]
                 if f["check_id"] == "s3_no_credential_files" and f["resource"]["name"] == "ops-notes")
    assert "1 object read only in part (the first 64 bytes)" in notes["message"], notes


def test_the_new_permissions_are_derived(capsys):
    result = run_cli(capsys, "permissions", "--control", "IA-5(7)")
    for action in ("ssm:GetDocument", "batch:DescribeJobDefinitions", "states:DescribeStateMachine", "glue:GetJobs",
                   "glue:GetConnections", "sagemaker:DescribeNotebookInstanceLifecycleConfig", "apigateway:GET",
                   "elasticbeanstalk:DescribeConfigurationSettings", "cloudformation:GetTemplate", "tag:GetResources",
                   "iam:GetAccountAuthorizationDetails", "lambda:GetFunction", "lambda:GetLayerVersion",
                   "s3:ListBucket", "s3:GetObject", "s3:GetAccountPublicAccessBlock"):
        assert f'"{action}"' in result.stdout, action


