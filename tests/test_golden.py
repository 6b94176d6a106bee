"""Golden outputs: the demo's machine-readable pack and the derived IAM policy, compared after normalizing.

A change to the engine must not change what a GRC system, a SIEM or a spreadsheet receives. The demo is
seeded (the emulator's ids and the fingerprint key are fixed), so two runs differ only in what
``tests/golden.py`` takes out: run ids, times and evidence sequence numbers. The demo runs on the control
library as it was when the goldens were made (``golden/controls``, the same ids chosen): a check or control
added to the library later changes what the demo shows by design, and is tested where it is added.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden import compare
from tests.helpers import run_cli

CONTROLS = Path(__file__).parent / "golden" / "controls"
LIBRARY = ["--controls-dir", str(CONTROLS),
           *[arg for path in sorted(CONTROLS.glob("*.yaml")) for arg in ("--control", path.stem)]]
MACHINE_READABLE = ("assessment.json", "assessment-results.oscal.json", "assessment-plan.oscal.json",
                    "poam.oscal.json", "findings.ocsf.json", "findings.asff.json", "findings.csv")
FINGERPRINT_KEY = "f" * 64


@pytest.fixture
def fixed_fingerprint_key(tmp_path, monkeypatch):
    home = tmp_path / "config"
    (home / "auditpack").mkdir(parents=True)
    (home / "auditpack" / "fingerprint.key").write_text(FINGERPRINT_KEY + "\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))


@pytest.mark.timeout(600)
def test_the_demo_pack_matches_its_golden_outputs(tmp_path, fixed_fingerprint_key):
    """In a process of its own, as ``make demo`` runs it: the emulator's ids depend on which of its services
    earlier tests in this process woke up."""
    result = subprocess.run([sys.executable, "-m", "auditpack.cli", "demo", "--out", "pack", "--quiet", *LIBRARY],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    for name in MACHINE_READABLE:
        compare(f"demo/{name}", (tmp_path / "pack" / name).read_text(encoding="utf-8-sig"))


@pytest.mark.parametrize("flags", [(), ("--org",), ("--control", "IA-5(7)")], ids=["default", "org", "control"])
def test_the_derived_policy_matches_its_golden_output(capsys, flags):
    chosen = ["--controls-dir", str(CONTROLS)] if "--control" in flags else LIBRARY
    result = run_cli(capsys, "permissions", *flags, *chosen)
    assert result.code == 0, result.stderr
    compare(f"permissions/{'-'.join(f.strip('-') for f in flags) or 'default'}.json", result.stdout)
