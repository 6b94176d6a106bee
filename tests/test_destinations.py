"""Where a pack cannot go: one clear line and exit 2, before anything is collected, and never a traceback;
a pack already there is replaced only when asked to."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from auditpack.emulator.seeding.monitoring import seed_logging
from tests.helpers import api_calls, run_cli

SCAN = ("scan", "--region", "us-east-1", "--control", "AU-9", "--format", "json", "--quiet")


def unusable(tmp_path):
    """Each way a destination can be unusable, with the words the message must use."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("quarterly notes")
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    return [
        (a_file, "is a file, not a folder"),
        (a_file / "pack", "is a file, not a folder"),
        (foreign, "is not an auditpack pack"),
    ]


def read_only_mount_available() -> str | None:
    """Why a read-only file system cannot be made here, or None (a private mount namespace: nothing leaks)."""
    if not shutil.which("unshare"):
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o ro tmpfs /mnt"], capture_output=True)
    return None if probe.returncode == 0 else "this machine does not allow a private read-only mount"


def test_a_read_only_mount_is_refused(aws, tmp_path):
    why = read_only_mount_available()
    if why:
        pytest.skip(why)
    mount = tmp_path / "ro"
    mount.mkdir()
    command = (f"mount -t tmpfs -o ro tmpfs {mount} && exec {sys.executable} -m auditpack.cli "
               f"{' '.join(SCAN)} --out {mount}/pack")
    result = subprocess.run(["unshare", "-rm", "sh", "-c", command], capture_output=True, text=True, timeout=120,
                            env=os.environ.copy())
    assert result.returncode == 2, result.stderr
    assert f"cannot write the pack to {mount}/pack: {mount} is not writable; choose another --out" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", range(3))
def test_an_unusable_destination_is_one_line_and_exit_2_before_any_call(aws, tmp_path, capsys, monkeypatch, case):
    out, words = unusable(tmp_path)[case]
    with api_calls(monkeypatch) as calls:
        result = run_cli(capsys, *SCAN, "--out", str(out))
    assert result.code == 2, result.stderr
    assert words in result.stderr and "choose another --out" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert calls == [], "nothing is collected for a pack that cannot be written"


def test_an_earlier_pack_is_replaced_only_with_overwrite(aws, tmp_path, capsys):
    seed_logging("us-east-1")
    out = tmp_path / "pack-2026-q3"
    assert run_cli(capsys, *SCAN, "--out", str(out)).code == 1
    first = json.loads((out / "assessment.json").read_text())["run"]["id"]

    again = run_cli(capsys, *SCAN, "--out", str(out))
    assert again.code == 2
    assert f"already holds a pack (run {first}, sealed 20" in again.stderr
    assert "pass --overwrite to replace it" in again.stderr
    assert json.loads((out / "assessment.json").read_text())["run"]["id"] == first, "last quarter's pack stays"

    assert run_cli(capsys, *SCAN, "--out", str(out), "--overwrite").code == 1
    assert json.loads((out / "assessment.json").read_text())["run"]["id"] != first
