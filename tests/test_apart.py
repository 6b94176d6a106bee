"""The command line's scan runs in a child process that ends before the PDF is laid out (``auditpack.apart``):
what crosses back must be exactly what a scan in one process would have given, progress and errors included."""

from __future__ import annotations

import os
import signal
import time

import pytest

from auditpack.apart import CAN_FORK, RemoteTraceback, run_apart
from auditpack.emulator.demo import DEMO_REGIONS, seed_sample_account
from auditpack.errors import ProfileNotFound, WorkerDied
from auditpack.pack.verify import verify
from auditpack.scan import ScanOptions, run_scan
from tests.helpers import load_assessment

pytestmark = pytest.mark.skipif(not CAN_FORK, reason="elsewhere the work runs in-process")


class Told:
    def __init__(self) -> None:
        self.heard: list[tuple] = []

    def phase(self, name: str) -> None:
        self.heard.append(("phase", name))

    def advance(self, done: int, total: int, what: str) -> None:
        self.heard.append(("advance", done, total, what))

    def notice(self, text: str) -> None:
        self.heard.append(("notice", text))


def test_the_work_runs_in_another_process_and_its_progress_arrives_in_order():
    def work(progress) -> tuple[int, dict]:
        progress.phase("Collecting")
        for done in range(1, 4):
            progress.advance(done, 3, f"step {done}")
        progress.notice("retrying sts GetCallerIdentity")
        return os.getpid(), {"a": [1, 2]}

    told = Told()
    pid, data = run_apart(work, told)
    assert pid != os.getpid() and data == {"a": [1, 2]}
    assert told.heard == [("phase", "Collecting"), ("advance", 1, 3, "step 1"), ("advance", 2, 3, "step 2"),
                          ("advance", 3, 3, "step 3"), ("notice", "retrying sts GetCallerIdentity")]


def test_an_error_raised_in_the_child_is_raised_here_as_it_was():
    """The command line's messages read an error's type and attributes (``commands.messages``)."""
    def work(_progress):
        raise ProfileNotFound("auditor")

    with pytest.raises(ProfileNotFound) as raised:
        run_apart(work, Told())
    assert str(raised.value) == "AWS profile not found: auditor" and raised.value.profile == "auditor"
    assert isinstance(raised.value.__cause__, RemoteTraceback) and "in work" in str(raised.value.__cause__)


def test_an_error_that_does_not_pickle_still_says_what_it_was():
    class Local(Exception):  # a class pickle cannot name
        pass

    def work(_progress):
        raise Local("the detail")

    with pytest.raises(RuntimeError, match=r"Local: .*the detail"):
        run_apart(work, Told())


def test_a_child_killed_without_a_word_is_one_clear_error_with_the_shells_exit_code():
    def work(_progress):
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(WorkerDied) as raised:
        run_apart(work, Told())
    assert raised.value.exit_code == 128 + signal.SIGKILL
    assert "SIGKILL" in str(raised.value) and "out of memory" in str(raised.value)


def test_an_interrupt_here_stops_the_child_and_is_raised_once_it_has_stopped(tmp_path):
    stopped = tmp_path / "stopped"

    def work(progress):
        try:
            progress.phase("Collecting")
            time.sleep(30)
        except KeyboardInterrupt:
            stopped.write_text("cleaned up")
            raise

    class InterruptOnPhase(Told):
        def phase(self, name: str) -> None:
            super().phase(name)
            raise KeyboardInterrupt  # as Ctrl-C would, while the parent relays the child's progress

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_apart(work, InterruptOnPhase())
    assert stopped.read_text() == "cleaned up", "the child stops as a scan in one process stops"
    assert time.monotonic() - started < 10


def test_a_scan_apart_writes_the_same_verified_pack_as_a_scan_in_one_process(aws, tmp_path):
    seed_sample_account()
    packs = {}
    for apart in (False, True):
        told = Told()
        outcome, pack = run_scan(ScanOptions(out=tmp_path / f"apart-{apart}", regions=list(DEMO_REGIONS),
                                             apart=apart), told)
        assert verify(pack).intact, verify(pack)
        assert (pack / "report.pdf").stat().st_size > 0
        phases = [h[1] for h in told.heard if h[0] == "phase"]
        assert phases[-2:] == ["Laying out report.pdf", "Sealing"]
        packs[apart] = (outcome, load_assessment(pack))
    (alone, one), (apart, other) = packs[False], packs[True]
    assert apart.control_statuses == alone.control_statuses
    assert apart.failures_by_severity == alone.failures_by_severity
    assert len(one["findings"]) > 50
    assert [(f["id"], f["status"], f["message"]) for f in other["findings"]] == \
        [(f["id"], f["status"], f["message"]) for f in one["findings"]]


def test_a_result_that_does_not_pickle_is_an_error_that_says_so():
    def work(_progress):
        return lambda: None  # a function made in the child: pickle cannot name it

    with pytest.raises(RuntimeError, match="the result could not be handed back"):
        run_apart(work, Told())


def test_the_command_line_scans_apart(aws, tmp_path, capsys, monkeypatch):
    import auditpack.scan
    from tests.helpers import run_cli

    used = []
    real = auditpack.scan.run_apart

    def spy(work, progress):
        used.append(os.getpid())
        return real(work, progress)

    monkeypatch.setattr(auditpack.scan, "run_apart", spy)
    result = run_cli(capsys, "scan", "--out", str(tmp_path / "pack"), "--quiet", "--format", "json",
                     "--region", "us-east-1", "--control", "SC-28")
    assert result.code in (0, 1, 3), result.stderr
    assert used == [os.getpid()], "once, from the process the command started"


def test_a_program_the_child_starts_still_stops_on_the_terminals_ctrl_c():
    """Kingfisher runs as a program of the scan's child: an ignored SIGINT would be inherited by it, and
    Ctrl-C at the terminal would leave it running after the scan has stopped."""
    import subprocess

    def work(_progress):
        return subprocess.run(["grep", "SigIgn", "/proc/self/status"], capture_output=True,
                              text=True).stdout

    ignored = int(run_apart(work, Told()).split()[1], 16)
    assert not ignored & (1 << (signal.SIGINT - 1)), "SIGINT is not ignored in the programs the child starts"
