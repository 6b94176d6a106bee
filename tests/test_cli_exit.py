"""The console script's fast exit still behaves like a normal one: output, exit handlers, exit codes."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import atexit, sys
atexit.register(lambda: print("exit handler ran", file=sys.stderr))
sys.argv = ["auditpack", *sys.argv[1:]]
from auditpack.cli import run
run()
"""


def console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, timeout=120)


def test_output_is_complete_and_exit_handlers_run():
    done = console("controls", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("]") and '"AU-9"' in done.stdout  # all of it, through a pipe
    assert "exit handler ran" in done.stderr


def test_exit_codes_pass_through(tmp_path):
    bad = tmp_path / "controls"
    bad.mkdir()
    (bad / "x.yaml").write_text("id: [unclosed\n")
    done = console("validate", "--controls-dir", str(bad))
    assert done.returncode == 2
    assert "x.yaml" in done.stderr and "exit handler ran" in done.stderr
    usage = console("no-such-command")  # argparse's SystemExit leaves the usual way
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_the_summary_counts_in_words_people_use():
    from auditpack.commands.console import counted

    assert (counted(1, "control"), counted(0, "account"), counted(2, "region")) == (
        "1 control", "0 accounts", "2 regions")
