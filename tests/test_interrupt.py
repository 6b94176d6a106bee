"""Ctrl-C during collection: exit 130 with one line, no pack at --out, no staging folder left, and a previous
pack at the same --out untouched.

The scan runs as a real subprocess against the emulator of this test process, through the fault proxy, which
slows every collector answer so that the interrupt is sure to land mid-collection.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditpack.emulator.demo import DEMO_REGIONS, seed_sample_account
from tests.faultproxy import FaultPlan, FaultProxy, Rule
from tests.helpers import load_assessment, run_cli

INTERRUPTED = "auditpack: interrupted; no pack was written"


def start_scan(out: Path, env: dict[str, str], config: Path) -> subprocess.Popen[str]:
    """In a session of its own, as a terminal's foreground job is: Ctrl-C there reaches its whole group. With
    SIGINT's default action, as at a terminal: a runner started in the background (``cmd &`` without job
    control) ignores SIGINT, and an ignored signal stays ignored in every process it starts."""
    # --overwrite: one test interrupts a scan over an earlier pack, which must survive the interrupt
    args = [sys.executable, "-m", "auditpack.cli", "scan", "--out", str(out), "--config", str(config), "--quiet",
            "--overwrite"]
    for region in DEMO_REGIONS:
        args += ["--region", region]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


SLOW_ANSWERS = ("collection:\n  max_attempts: 2\n  connect_timeout: 2\n  read_timeout: 5\n", 1.0)
# Every answer later than the read timeout, many attempts left: botocore would retry for ~half a minute.
TIMEOUTS_WITH_RETRIES_LEFT = ("collection:\n  max_attempts: 10\n  connect_timeout: 1\n  read_timeout: 1\n", 3.0)


def interrupt_mid_collection(aws, out: Path, tmp_path: Path, scenario: tuple[str, float] = SLOW_ANSWERS,
                             *, whole_group: bool = False) -> tuple[int, str, float]:
    """(exit code, stderr, seconds from SIGINT to exit) of a scan interrupted while collectors wait: SIGINT to
    the process started (``kill -INT``), or to its whole group (Ctrl-C at a terminal: the scan's own process,
    a child of it, gets one too)."""
    config = tmp_path / "auditpack.yaml"
    config.write_text(scenario[0])
    slow_collection = FaultPlan([Rule("slow", "*", rate=1.0)], slow_seconds=scenario[1])
    with FaultProxy(aws.endpoint, FaultPlan(), max_requests=500, lifetime=50) as proxy:
        env = {**os.environ, "AWS_ENDPOINT_URL": proxy.endpoint, "PYTHONUNBUFFERED": "1"}
        proxy.plan = FaultPlan()  # identity and setup answer at once
        scan = start_scan(out, env, config)
        try:
            assert proxy.wait_for("sts:GetCallerIdentity", timeout=30), "the scan never reached the emulator"
            proxy.plan = slow_collection
            deadline = time.monotonic() + 30
            while not set(proxy.seen) - {"sts:GetCallerIdentity"} and time.monotonic() < deadline:
                time.sleep(0.05)
            assert set(proxy.seen) - {"sts:GetCallerIdentity"}, "collection never started"
            time.sleep(0.3)
            assert scan.poll() is None, "the scan ended before it could be interrupted"
            if whole_group:
                os.killpg(scan.pid, signal.SIGINT)
            else:
                scan.send_signal(signal.SIGINT)
            sent = time.monotonic()
            _stdout, stderr = scan.communicate(timeout=30)
            return scan.returncode, stderr, time.monotonic() - sent
        finally:
            if scan.poll() is None:
                scan.kill()
                scan.wait()


def leftovers(parent: Path, out: Path) -> list[Path]:
    return [p for p in parent.iterdir() if p.name.startswith(f".{out.name}")]


@pytest.mark.parametrize(("scenario", "whole_group"), [(SLOW_ANSWERS, False), (TIMEOUTS_WITH_RETRIES_LEFT, False),
                                                     (SLOW_ANSWERS, True)],
                         ids=["slow", "retrying", "ctrl-c-to-the-group"])
def test_interrupted_scan_leaves_no_pack_and_exits_130(aws, tmp_path, scenario, whole_group):
    seed_sample_account()
    out = tmp_path / "pack"
    code, stderr, seconds = interrupt_mid_collection(aws, out, tmp_path, scenario, whole_group=whole_group)
    assert code == 130, stderr
    assert stderr.strip() == INTERRUPTED, stderr
    assert not out.exists()
    assert leftovers(tmp_path, out) == [], "the hidden staging folder must go too"
    assert not list(tmp_path.rglob("assessment.json"))
    assert seconds < 8, f"took {seconds:.1f}s to stop after Ctrl-C"


def test_interrupt_keeps_the_previous_pack_at_the_same_out(aws, tmp_path, capsys):
    seed_sample_account()
    out = tmp_path / "pack"
    first = run_cli(capsys, "scan", "--out", str(out), "--quiet", "--format", "json",
                    *[a for r in DEMO_REGIONS for a in ("--region", r)])
    assert first.code in (0, 1, 3), first.stderr
    before = (out / "assessment.json").read_bytes()

    code, stderr, _ = interrupt_mid_collection(aws, out, tmp_path)

    assert code == 130, stderr
    assert (out / "assessment.json").read_bytes() == before
    assert load_assessment(out)["run"]["id"]
    assert leftovers(tmp_path, out) == []
    verify = _verify_command()
    if verify:
        assert run_cli(capsys, "verify", str(out)).code == 0


def _verify_command() -> bool:
    from auditpack.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return "verify" in sub.choices  # the verify command lands with the evidence-pack issue



def test_a_closed_recorder_refuses_late_evidence_and_recreates_nothing(tmp_path):
    """A collector finishing its call after the interrupt must not bring the deleted staging folder back."""
    from auditpack.collect.evidence import EvidenceRecorder, RecorderClosed

    staging = tmp_path / ".pack.partial-1234"
    recorder = EvidenceRecorder(staging)
    recorder.close()
    with pytest.raises(RecorderClosed):
        recorder.record("123456789012", "us-east-1", "iam", "ListUsers", {}, {"Users": []})
    assert not staging.exists()
