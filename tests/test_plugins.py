"""An organization's own checks, pip-installed as a package: found through the ``auditpack.checks`` entry
points, cited by its own ``--controls-dir`` controls, held to the same validation, run by a real scan.

The package is built from source in the test (``pip install --no-build-isolation``, so nothing is fetched)
into a folder of its own, which the child process finds on ``PYTHONPATH`` as if it were site-packages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest

CHECK_MODULE = '''
"""Acme's house rule: the account password policy requires symbols."""

from auditpack.library.checks import Result, check
from auditpack.models import Status


@check(
    id="acme_password_policy_symbols",
    title="The password policy requires a symbol",
    problem="The password policy does not require a symbol",
    resources=["iam.password_policy"],
    severity="low",
    remediation="Require at least one symbol in the account password policy.",
    params={"acme_min_length": {"type": "integer", "min": 1, "default": MIN_DEFAULT}},
)
def acme_password_policy_symbols(view, params):
    """Passes when a password policy exists and is at least ``acme_min_length`` characters long."""
    for policy in view.get("iam.password_policy"):
        ok = policy.exists and (policy.minimum_length or 0) >= params["acme_min_length"]
        yield Result.of(Status.PASS if ok else Status.FAIL, policy, "Acme says " + ("yes." if ok else "no."))
'''

CONTROL = """\
id: CM-6
oscal_id: cm-6
title: Configuration Settings
family: Configuration Management
summary: Acme's own rule, evidenced by Acme's own check.
checks: [acme_password_policy_symbols]
parameters:
  - name: Minimum length Acme wants
    feeds: acme_min_length
    default: 12
"""


def build_plugin(tmp_path: Path, *, min_default: str = "8", broken: bool = False) -> Path:
    """Build and install the ``acme-auditpack-checks`` distribution; returns the folder it was installed to."""
    source = tmp_path / "acme-src"
    package = source / "acme_checks"
    package.mkdir(parents=True)
    body = CHECK_MODULE.replace("MIN_DEFAULT", min_default)
    (package / "__init__.py").write_text("raise RuntimeError('acme is broken')\n" if broken else body)
    (source / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=75"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "acme-auditpack-checks"
        version = "1.0.0"

        [project.entry-points."auditpack.checks"]
        acme = "acme_checks"

        [tool.setuptools]
        packages = ["acme_checks"]
        """))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True, capture_output=True)
    return target


def auditpack(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**(env or os.environ), "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "auditpack.cli", *args], capture_output=True, text=True,
                          env=environment, timeout=300)


@pytest.fixture
def controls(tmp_path: Path) -> Path:
    folder = tmp_path / "acme-controls"
    folder.mkdir()
    (folder / "cm-6.yaml").write_text(CONTROL)
    return folder


@pytest.mark.timeout(600)
def test_an_installed_checks_package_is_validated_listed_and_run(tmp_path, controls, aws):
    site = build_plugin(tmp_path)

    validate = auditpack(site, "validate", "--controls-dir", str(controls))
    assert validate.returncode == 0, validate.stderr
    listed = json.loads(auditpack(site, "controls", "--json", "--controls-dir", str(controls)).stdout)
    cm6 = next(c for c in listed if c["id"] == "CM-6")
    assert cm6["checks"] == ["acme_password_policy_symbols"] and cm6["parameters"] == {"acme_min_length": 12}
    policy = json.loads(auditpack(site, "permissions", "--controls-dir", str(controls), "--control", "CM-6").stdout)
    assert "iam:GetAccountPasswordPolicy" in policy["Statement"][0]["Action"], "derived from its collector"

    boto3.client("iam").update_account_password_policy(MinimumPasswordLength=10)  # Acme wants 12
    out = tmp_path / "pack"
    scan = auditpack(site, "scan", "--controls-dir", str(controls), "--control", "CM-6", "--region", "us-east-1",
                     "--out", str(out), "--format", "json", "--quiet")
    assert scan.returncode == 1, scan.stderr
    assessment = json.loads((out / "assessment.json").read_text())
    [finding] = [f for f in assessment["findings"] if f["check_id"] == "acme_password_policy_symbols"]
    assert finding["status"] == "fail" and finding["control_ids"] == ["CM-6"], finding
    assert finding["message"] == "Acme says no."
    assert assessment["checks"][0]["permissions"] == ["iam:GetAccountPasswordPolicy"]


def test_a_plugin_check_is_held_to_the_same_rules(tmp_path, controls):
    site = build_plugin(tmp_path, min_default="'eight'")  # a default that fails its own schema
    validate = auditpack(site, "validate", "--controls-dir", str(controls))
    assert validate.returncode == 2
    assert "check acme_password_policy_symbols (acme_checks): the default of parameter acme_min_length" \
        in validate.stderr
    assert "Traceback" not in validate.stderr


def test_a_plugin_that_cannot_be_imported_is_named(tmp_path, controls):
    site = build_plugin(tmp_path, broken=True)
    validate = auditpack(site, "validate", "--controls-dir", str(controls))
    assert validate.returncode == 2
    assert "entry point 'acme'" in validate.stderr and "RuntimeError: acme is broken" in validate.stderr
    assert "Traceback" not in validate.stderr


def test_a_control_citing_a_check_no_package_provides_is_a_problem(tmp_path, controls):
    result = subprocess.run([sys.executable, "-m", "auditpack.cli", "validate", "--controls-dir", str(controls)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "unknown check id 'acme_password_policy_symbols'" in result.stderr
