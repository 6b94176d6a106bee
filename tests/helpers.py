"""Small helpers shared by tests: run the CLI in-process and read what it wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auditpack.cli import main


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliRun:
    code = main(list(args))
    captured = capsys.readouterr()
    return CliRun(code, captured.out, captured.err)


def load_assessment(pack: Path) -> dict[str, Any]:
    return json.loads((pack / "assessment.json").read_text())


def verdicts(assessment: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """(check id, region, resource name) -> status, for compact assertions."""
    return {(f["check_id"], f["region"], f["resource"]["name"]): f["status"] for f in assessment["findings"]}


def inventory_of(*resources: Any, regions: tuple[str, ...] = ("us-east-1", "us-west-2"),
                 account: str = "123456789012", types: dict[str, list[Any]] | None = None):
    """An in-memory inventory for unit tests of pure checks: ``types`` maps resource type to resources."""
    from auditpack.resources.inventory import Inventory

    inventory = Inventory(accounts=[account], regions=list(regions), partitions={account: "aws"})
    for rtype, items in (types or {}).items():
        by_region: dict[str, list[Any]] = {}
        for item in items:
            by_region.setdefault(item.region, []).append(item)
        for region in regions:
            inventory.add(rtype, account, region, by_region.pop(region, []))
        for region, rest in by_region.items():
            inventory.add(rtype, account, region, rest)
    return inventory


def run_check_on(check_id: str, inventory: Any, **params: Any) -> list[Any]:
    """Results of one registered check over every partition of ``inventory``, defaults filled in."""
    from auditpack.evaluate.evaluation import run_check
    from auditpack.library.checks import load_checks

    spec = load_checks()[check_id]
    return list(run_check(spec, inventory, {**spec.defaults(), **params}))


@contextmanager
def api_calls(monkeypatch: pytest.MonkeyPatch, deny: dict[str, str] | None = None, *, name: str = "signing_name"
              ) -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    """Every botocore call made inside the block, as (service, operation, params), through the one entry
    point all calls pass; the service by its signing name, or by ``name="service_name"`` as boto3 calls it
    (``cloudwatch`` rather than ``monitoring``). ``deny`` maps an operation name to the error code it fails
    with instead. Calls are watched in this process, so a command line scan in the block runs here too, as on a
    platform that cannot fork (``auditpack.apart``)."""
    import botocore.client
    from botocore.exceptions import ClientError

    made: list[tuple[str, str, dict[str, Any]]] = []
    real = botocore.client.BaseClient._make_api_call

    def spy(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        made.append((getattr(self.meta.service_model, name), operation_name, dict(api_params)))
        if deny and operation_name in deny:
            raise ClientError({"Error": {"Code": deny[operation_name], "Message": "denied"}}, operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    monkeypatch.setattr("auditpack.apart.CAN_FORK", False)
    try:
        yield made
    finally:
        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", real)
