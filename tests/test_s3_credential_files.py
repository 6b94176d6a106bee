"""What marks an S3 object as a credential file, and when a bucket policy opens a bucket to everyone: the pure
parts of ``s3.credential_files`` (the scan itself is tested in tests/test_scan_secret_sources.py)."""

from __future__ import annotations

import pytest

from auditpack.resources.s3_objects import is_credential_file


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


def _bucket(policy: dict | None = None, grants: tuple = (), **own: bool):
    from auditpack.resources.s3 import AclGrant, Bucket, PublicAccessBlock

    block = PublicAccessBlock(configured=bool(own), settings={**PublicAccessBlock().settings, **own})
    return Bucket(arn="arn:aws:s3:::b", name="b", account="123456789012", region="us-east-1", policy=policy or {},
                  public_acl_grants=tuple(AclGrant(grantee="everyone", permission=p) for p in grants), block=block)


def _policy(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", **statement}]}


def test_a_credential_files_bucket_is_public_by_the_same_judgement_as_the_exposure_check():
    """One judgement (Bucket.exposure) for s3_bucket_not_public and for a credential file's "the bucket is
    public": Block Public Access, the bucket's or the account's, neutralises what it covers."""
    from auditpack.resources.s3 import PublicAccessBlock

    nothing = PublicAccessBlock()
    assert "allows anyone" in _bucket(_policy(Principal="*", Action="s3:GetObject")).exposure(nothing).public
    assert _bucket(_policy(Principal={"AWS": "*"}, Action=["s3:Get*"])).exposure(nothing).public
    assert not _bucket(_policy(Principal={"AWS": "arn:aws:iam::123456789012:root"}, Action="s3:GetObject")
                       ).exposure(nothing).public
    assert not _bucket(_policy(Principal="*", Action="s3:GetObject",
                               Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})).exposure(nothing).public
    account_restricts = PublicAccessBlock(configured=True, settings={**nothing.settings, "RestrictPublicBuckets": True})
    neutralised = _bucket(_policy(Principal="*", Action="s3:GetObject")).exposure(account_restricts)
    assert not neutralised.public and "neutralised by the account's RestrictPublicBuckets" in neutralised.blocked[0]
    assert "READ to everyone" in _bucket(grants=("READ",)).exposure(nothing).public
    assert not _bucket(grants=("READ",), IgnorePublicAcls=True).exposure(nothing).public
