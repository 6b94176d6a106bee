"""The secrets checks as pure functions over an inventory the engine has judged."""

from __future__ import annotations

from datetime import UTC, datetime

from auditpack.models import Status
from auditpack.resources.awslambda import LambdaFunction
from auditpack.resources.key_owners import KeyOwner
from auditpack.resources.secret_source import SecretScan
from auditpack.resources.ssm import Parameter
from auditpack.secrets.analysis import analyze_secrets
from tests.helpers import inventory_of, run_check_on

ACCOUNT = "123456789012"
KEY_ID = "AKIA2E3F4G5H6J7K2L3M"


def fn(name: str, env: dict[str, str], **versions: dict[str, str]) -> LambdaFunction:
    return LambdaFunction(arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}", name=name, account=ACCOUNT,
                          region="us-east-1", environments={"$LATEST": env, **versions})


def owner(**kw) -> KeyOwner:
    return KeyOwner(arn=f"arn:aws:iam::{ACCOUNT}:access-key/AKIA…2L3M", name="AKIA…2L3M", account=ACCOUNT,
                    region="us-east-1", key_id=KEY_ID, **kw)


def judged(tmp_path, *resources, owners=()):
    inventory = inventory_of(types={"lambda.functions": list(resources),
                                    "lambda.functions.key_owners": list(owners)})
    analyze_secrets(inventory, tmp_path / "key")
    return inventory


def test_key_owner_is_named_with_status_and_last_use(tmp_path):
    used = datetime(2026, 11, 1, tzinfo=UTC)
    inventory = judged(tmp_path, fn("payments-api", {"AWS_ACCESS_KEY_ID": KEY_ID}),
                       owners=[owner(user="ci-deployer", status="Active", last_used=used, last_service="s3")])
    (result,) = [r for r in run_check_on("lambda_env_no_aws_keys", inventory) if r.region == "us-east-1"]
    assert result.status is Status.FAIL
    assert result.message == ("environment variable AWS_ACCESS_KEY_ID of function payments-api (us-east-1) holds "
                              "an AWS access key id; the key belongs to IAM user ci-deployer, active, last used "
                              "2026-11-01 (s3).")
    assert KEY_ID not in str(result.details)


def test_failed_owner_lookup_still_fails_with_a_degraded_message(tmp_path):
    inventory = judged(tmp_path, fn("f", {"AWS_ACCESS_KEY_ID": KEY_ID}), owners=[owner(lookup_error="AccessDenied")])
    (result,) = [r for r in run_check_on("lambda_env_no_aws_keys", inventory) if r.region == "us-east-1"]
    assert result.status is Status.FAIL
    assert "owner unknown: the IAM lookup failed with AccessDenied" in result.message


def test_aws_keys_and_other_credentials_go_to_their_own_checks(tmp_path):
    inventory = judged(tmp_path, fn("f", {"DB_PASSWORD": "Hunter2-Hunter2"}))
    keys = [r for r in run_check_on("lambda_env_no_aws_keys", inventory) if r.region == "us-east-1"]
    others = [r for r in run_check_on("lambda_env_no_secrets", inventory) if r.region == "us-east-1"]
    assert [r.status for r in keys] == [Status.PASS]
    assert [r.status for r in others] == [Status.FAIL]
    assert others[0].message == "environment variable DB_PASSWORD of function f (us-east-1) holds a password."


def test_a_key_surviving_only_in_a_published_version_fails(tmp_path):
    old = {"AWS_SECRET_ACCESS_KEY": "Zx9Kp2Lm4Nq6Rs8Tu0Vw1Xy3Za5Bc7De9Fg2Hj4K"}
    inventory = judged(tmp_path, fn("f", {}, **{"7": old}))
    (result,) = [r for r in run_check_on("lambda_env_no_aws_keys", inventory) if r.region == "us-east-1"]
    assert result.status is Status.FAIL and "(in version 7)" in result.message


def test_no_verdict_or_a_failed_detector_is_an_error_never_a_pass():
    unjudged = fn("f", {"X": "1"})
    failed = unjudged.model_copy(update={"name": "g", "arn": unjudged.arn + "g"})
    inventory = inventory_of(types={"lambda.functions": [unjudged, failed], "lambda.functions.key_owners": []})
    inventory.verdicts[("lambda.functions", failed.arn)] = SecretScan(error="the secret detector failed: boom")
    statuses = {r.resource.name: r.status for r in run_check_on("lambda_env_no_secrets", inventory)}
    assert statuses == {"f": Status.ERROR, "g": Status.ERROR}


def test_securestring_parameters_pass_unread_and_plain_credentials_fail(tmp_path):
    def param(name, ptype, value=""):
        return Parameter(arn=f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}", name=name, account=ACCOUNT,
                         region="us-east-1", type=ptype, value=value)

    inventory = inventory_of(types={"ssm.parameters": [param("/db/password", "SecureString"),
                                                       param("/db/pw", "String", "Hunter2-Hunter2"),
                                                       param("/log", "String", "info")],
                                    "ssm.parameters.key_owners": []})
    analyze_secrets(inventory, tmp_path / "key")
    statuses = {r.resource.name: r.status for r in run_check_on("ssm_parameter_secrets_secure", inventory)}
    assert statuses == {"/db/password": Status.PASS, "/db/pw": Status.FAIL, "/log": Status.PASS}


def test_noecho_parameters_read_as_stars_and_pass_while_outputs_fail(tmp_path):
    from auditpack.resources.cloudformation import Stack

    def stack(name, **kw):
        return Stack(arn=f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/1", name=name, account=ACCOUNT,
                     region="us-east-1", **kw)

    inventory = inventory_of(types={"cloudformation.stacks": [
        stack("noecho", parameters={"DbPassword": "****"}, outputs={"Url": "https://app.example.com"}),
        stack("leaky", outputs={"DbUrl": "mysql://app:Hunter2-pass@db/app"})],
        "cloudformation.stacks.key_owners": []})
    analyze_secrets(inventory, tmp_path / "key")
    results = {r.resource.name: r for r in run_check_on("cloudformation_outputs_no_secrets", inventory)}
    assert results["noecho"].status is Status.PASS
    assert results["leaky"].status is Status.FAIL
    assert results["leaky"].message == "output DbUrl of stack leaky (us-east-1) holds a password in a URL."
