"""What marks an S3 object as a credential file, and when a bucket policy opens a bucket to everyone: the pure
parts of ``s3.credential_files`` (the scan itself is tested in tests/test_scan_secret_sources.py)."""

from __future__ import annotations

import json

import pytest

from auditpack.emulator.server import s3_control_endpoint
from auditpack.resources.s3_objects import _policy_open, is_credential_file


@pytest.mark.parametrize("key", [
    ".env", "app/.env", "app/.env.production", "svc/.envrc", "svc/.env-staging", "deploy/prod.env",
    "home/ops/.aws/credentials", "certs/server.pem",
    "keys/id_rsa", "keys/id_ed25519", "terraform/prod.tfstate", "terraform/prod.tfstate.backup", "vars/prod.tfvars",
    ".npmrc", "ci/.pypirc", "u/.git-credentials", "root/.netrc", "web/public/config.json",
])
def test_credential_file_names_are_recognised_wherever_they_sit(key):
    assert is_credential_file(key)


@pytest.mark.parametrize("key", [
    "logs/build-1.log", "app/environment.py", "docs/credentials.md", "config.json.md", "web/config.js",
    "terraform/main.tf", "releases/app-1.2.txt", ".envrc-notes/readme.txt",
])
def test_other_names_are_not_read(key):
    assert not is_credential_file(key)


def _policy(**statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", **statement}]})


def test_a_policy_is_open_only_when_it_lets_everyone_get_objects_without_a_condition():
    assert _policy_open(_policy(Principal="*", Action="s3:GetObject"))
    assert _policy_open(_policy(Principal={"AWS": "*"}, Action=["s3:Get*"]))
    assert _policy_open(_policy(Principal={"AWS": ["*"]}, Action="s3:*"))
    assert not _policy_open(_policy(Principal="*", Action="s3:PutObject"))
    assert not _policy_open(_policy(Principal={"AWS": "arn:aws:iam::123456789012:root"}, Action="s3:GetObject"))
    assert not _policy_open(_policy(Principal="*", Action="s3:GetObject",
                                    Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}))
    assert not _policy_open(json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}))
    assert not _policy_open("not json")


def test_s3_control_reaches_the_emulator_on_loopback():
    """botocore prefixes S3 Control's host with the account id; the user part takes the prefix instead."""
    import botocore.session

    endpoint = s3_control_endpoint("http://127.0.0.1:4566")["AWS_ENDPOINT_URL_S3_CONTROL"]
    client = botocore.session.get_session().create_client(
        "s3control", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing",
        aws_secret_access_key="testing")
    sent = {}

    def stop(request, **_):
        sent["url"] = request.url
        raise RuntimeError("stop before sending")

    client.meta.events.register("before-send", stop)

    with pytest.raises(RuntimeError):
        client.get_public_access_block(AccountId="123456789012")
    from urllib.parse import urlsplit

    assert urlsplit(sent["url"]).hostname == "127.0.0.1"
