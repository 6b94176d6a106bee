"""Small helpers shared by tests: run the CLI in-process and read what it wrote."""

from __future__ import annotations

import json
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
    from auditpack.inventory import Inventory

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
    from auditpack.evaluate import run_check
    from auditpack.registry import load_checks

    spec = load_checks()[check_id]
    return run_check(spec, inventory, {**spec.defaults(), **params})
