"""Seeds an emulated AWS Organization and lets other seeders run inside any of its accounts.

The emulator keeps each account's data apart and tells accounts apart by the credentials a request is
signed with; assuming a role into an account id (the role need not exist there) yields credentials of that
account. ``in_account`` makes those credentials boto3's default for the duration of a block, so every family
seeder (which calls ``boto3.client(...)``) works unchanged in a member account.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from auditpack.emulator.seeding import guard

ROLE_NAME = "OrganizationAccountAccessRole"


def create_organization(*member_names: str) -> tuple[str, dict[str, str]]:
    """An Organization managed by the caller's account, with one member account per name.

    Returns the management account id and ``{name: account id}`` of the members (ids are the emulator's).
    """
    guard()
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    members = {}
    for name in member_names:
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        members[name] = status["AccountId"]
    management = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    return management, members


@contextmanager
def in_account(account_id: str, role_name: str = ROLE_NAME) -> Iterator[None]:
    """Within the block, ``boto3.client(...)`` acts in ``account_id`` (through an assumed role)."""
    guard()
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="auditpack-seed")["Credentials"]
    saved = boto3.DEFAULT_SESSION
    boto3.setup_default_session(aws_access_key_id=creds["AccessKeyId"],
                                aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"])
    try:
        yield
    finally:
        boto3.DEFAULT_SESSION = saved


@contextmanager
def account_environment(account_id: str, role_name: str = ROLE_NAME) -> Iterator[None]:
    """Within the block, the standard credential variables hold credentials of ``account_id``: a command run
    in this process (``auditpack incident``) then works in that account, as with a profile of its own."""
    guard()
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="auditpack-responder")["Credentials"]
    names = {"AWS_ACCESS_KEY_ID": "AccessKeyId", "AWS_SECRET_ACCESS_KEY": "SecretAccessKey",
             "AWS_SESSION_TOKEN": "SessionToken"}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: creds[field] for name, field in names.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
