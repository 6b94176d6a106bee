"""The wheel carries controls, checks and report templates: installed elsewhere, auditpack still works."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(900)
def test_wheel_installs_and_runs_outside_the_repository(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    [wheel] = dist.glob("auditpack-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    controls = subprocess.run([str(env_dir / "bin" / "auditpack"), "controls", "--json"], cwd=elsewhere,
                              capture_output=True, text=True, check=True)
    assert '"AU-9"' in controls.stdout
    validate = subprocess.run([str(env_dir / "bin" / "auditpack"), "validate"], cwd=elsewhere,
                              capture_output=True, text=True)
    assert validate.returncode == 0, validate.stderr
    listing = subprocess.run([str(python), "-c", "import auditpack.reports, auditpack.checks, auditpack.controls, "
                              "importlib.resources as r; print(sorted(p.name for p in "
                              "r.files('auditpack.controls').joinpath('nist-800-53-r5').iterdir()))"],
                             cwd=elsewhere, capture_output=True, text=True, check=True)
    assert "au-9.yaml" in listing.stdout
