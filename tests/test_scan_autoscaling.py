"""Auto Scaling launch configurations: user data that leaks a credential fails, gzip'd or not; a configuration
that fetches its secret at boot, or has no user data, passes; nothing planted is written out."""

from __future__ import annotations

import gzip

import boto3
import pytest

from tests.helpers import load_assessment, run_cli
from tests.secretsearch import assert_never_written

CHECK = "autoscaling_launch_config_no_secrets"
AMI = "ami-12345678"


def random_password() -> str:
    import secrets

    return "Lc-" + secrets.token_urlsafe(12)


@pytest.fixture
def seeded(aws):
    """Four launch configurations: a key (gzip'd), a password on a command line, a Secrets Manager read, none."""
    iam = boto3.client("iam")
    iam.create_user(UserName="asg-deployer")
    key = iam.create_access_key(UserName="asg-deployer")["AccessKey"]
    password = random_password()
    scaling = boto3.client("autoscaling", region_name="us-east-1")
    leaky = (f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID={key['AccessKeyId']}\n"
             f"export AWS_SECRET_ACCESS_KEY={key['SecretAccessKey']}\naws s3 sync s3://site /var/www\n")
    configs = {
        "web-v1": gzip.compress(leaky.encode()),
        "db-client": f"#!/bin/bash\nmysql -h db.internal -u app -p{password} < /opt/init.sql\n",
        "web-v2": "#!/bin/bash\nTOKEN=$(aws secretsmanager get-secret-value --secret-id web --query SecretString "
                  "--output text)\n",
        "bare": None,
    }
    for name, user_data in configs.items():
        extra = {"UserData": user_data} if user_data is not None else {}
        scaling.create_launch_configuration(LaunchConfigurationName=name, ImageId=AMI, InstanceType="t3.micro",
                                            **extra)
    return [key["AccessKeyId"], key["SecretAccessKey"], password]


def test_launch_configurations_are_judged_by_their_user_data(seeded, out_dir, capsys):
    result = run_cli(capsys, "scan", "--region", "us-east-1", "--control", "IA-5(7)", "--out", str(out_dir),
                     "--format", "json,oscal,ocsf,asff,csv,html")
    assert result.code == 1, result.stderr
    found = {f["resource"]["name"]: f for f in load_assessment(out_dir)["findings"] if f["check_id"] == CHECK}
    assert {name: f["status"] for name, f in found.items()} == {
        "web-v1": "fail", "db-client": "fail", "web-v2": "pass", "bare": "pass"}
    assert found["web-v1"]["message"].startswith("user data line 2 of launch configuration web-v1 (us-east-1) "
                                                 "holds an AWS access key id; the key belongs to IAM user "
                                                 "asg-deployer, active, never used")
    assert "a password on a command line" in found["db-client"]["message"]
    assert found["web-v1"]["resource"]["type"] == "AWS::AutoScaling::LaunchConfiguration"
    assert found["web-v1"]["control_ids"] == ["IA-5(7)"]
    assert_never_written(seeded, out_dir, texts=[result.stdout, result.stderr])


def test_the_permission_is_derived_from_the_collector(capsys):
    result = run_cli(capsys, "permissions", "--control", "IA-5(7)")
    assert '"autoscaling:DescribeLaunchConfigurations"' in result.stdout
