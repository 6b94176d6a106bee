"""Account planning goes through the gate like every other call: gated, recorded, redacted; and the engine's
errors are typed, with flags named only by the command line."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import boto3
import pytest

from auditpack import errors
from auditpack.collect.accounts import planning_gate
from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate
from auditpack.commands.messages import describe
from auditpack.emulator.seeding.organization import create_organization
from auditpack.resources.base import WriteCallRefused
from tests.helpers import load_assessment, run_cli


def client_factory(service: str, region: str):
    return boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="y")


def test_planning_may_assume_roles_but_collectors_may_not(tmp_path):
    recorder = EvidenceRecorder(tmp_path)
    planning = planning_gate("123456789012", client_factory, recorder, "us-east-1")
    with pytest.raises(WriteCallRefused):
        planning.call("organizations", "create_account", Email="a@example.com", AccountName="a")
    collector = Gate(account="123456789012", region="us-east-1", partition="aws", client_factory=client_factory,
                     recorder=recorder)
    with pytest.raises(WriteCallRefused):
        collector.call("sts", "assume_role", RoleArn="arn:aws:iam::1:role/x", RoleSessionName="s")
    assert not list(tmp_path.rglob("*.json")), "a refused call is never made, so nothing is recorded"


def test_an_org_scan_records_how_its_scope_was_established(aws, out_dir, capsys):
    management, members = create_organization("workload")
    result = run_cli(capsys, "scan", "--org", "--region", "us-east-1", "--out", str(out_dir), "--quiet",
                     "--control", "AU-2", "--format", "json")
    assert result.code in (0, 1), result.stderr
    scope = out_dir / "evidence" / management / "global"
    identity = json.loads(next((scope / "sts").glob("GetCallerIdentity-*.json")).read_text())
    assert identity["purpose"] == "scope" and identity["response"]["Account"] == management
    listing = json.loads(next((scope / "organizations").glob("ListAccounts-*.json")).read_text())
    assert {a["Id"] for a in listing["response"]["Accounts"]} == {management, *members.values()}
    assumed = json.loads(next((scope / "sts").glob("AssumeRole-*.json")).read_text())
    assert assumed["request"]["RoleArn"] == f"arn:aws:iam::{members['workload']}:role/OrganizationAccountAccessRole"
    assert set(assumed["response"]["Credentials"].values()) == {"[redacted]"}
    assert load_assessment(out_dir)["scope"]["accounts"] == sorted([management, *members.values()])


def user_errors() -> list[type[errors.UserError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass)
            if issubclass(c, errors.UserError) and c is not errors.UserError]


def example(cls: type[errors.UserError]) -> errors.UserError:
    """An instance of each error, whatever its constructor takes."""
    values = {"accounts": ["111111111111"], "first": Path("a"), "second": Path("b"), "out": Path("pack"),
              "path": Path("pack"), "mode": 0o640, "paths": [Path("pack.key")], "problems": ["altered: a.json"],
              "exitcode": -9}
    params = inspect.signature(cls.__init__).parameters
    return cls(**{name: values.get(name, "x") for name, p in params.items()
                  if name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD})


@pytest.mark.parametrize("cls", user_errors(), ids=lambda c: c.__name__)
def test_engine_errors_name_no_flag(cls):
    assert "--" not in str(example(cls)), "only auditpack.commands.messages names flags"


@pytest.mark.parametrize(("error", "line"), [
    (errors.NoCredentials(), "no AWS credentials found: set a profile (--profile), SSO login, or AWS_ACCESS_KEY_ID"),
    (errors.RegionsUnavailable("AccessDenied: no"),
     "cannot list the account's enabled regions (AccessDenied: no); name them with --region"),
    (errors.OrganizationUnavailable("it lists no ACTIVE account"),
     "--org: cannot list the Organization's accounts (it lists no ACTIVE account); run from the management "
     "account or a delegated administrator"),
    (errors.OutputNotAPack(Path("notes")), "notes exists and is not an auditpack pack; choose another --out"),
])
def test_the_command_line_says_which_flag_to_change(error, line):
    assert describe(error) == line
