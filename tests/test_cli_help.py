"""The command line as a new user meets it: typos get a suggestion, --debug goes anywhere, every command and
flag explains itself, and every example in the help and the README parses as written."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path

import pytest

from auditpack.cli import build_parser
from auditpack.commands import COMMANDS
from auditpack.library.checks import load_checks
from tests.helpers import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    return build_parser().subcommands


@pytest.mark.parametrize(("typed", "meant"), [("scna", "scan"), ("valdiate", "validate"), ("verfy", "verify")])
def test_a_mistyped_command_gets_the_closest_one(capsys, typed, meant):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(capsys, typed)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert f"unknown command {typed!r} (did you mean {meant}?)" in err
    assert "Traceback" not in err


def test_a_mistyped_flag_gets_the_closest_one(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(capsys, "scan", "--ot", "pack")
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "(did you mean --out?)" in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_works_before_or_after_the_subcommand_and_keeps_the_exit_code(capsys, tmp_path, where):
    missing = str(tmp_path / "nope.yaml")
    args = ["--debug", "validate", "--config", missing] if where == "before" else \
        ["validate", "--config", missing, "--debug"]
    result = run_cli(capsys, *args)
    assert result.code == 2, "a bad input is exit 2 with or without --debug"
    assert "Traceback" in result.stderr, "--debug shows where the error came from"
    assert result.stderr.rstrip().endswith("config file not found")


def test_every_command_has_a_description_and_every_flag_a_help_text():
    for name, parser in subcommands().items():
        assert parser.description and len(parser.description) > 40, f"{name} has no description"
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{name} {action.option_strings or action.dest} has no help text"


def test_scan_help_describes_the_scan_its_exit_codes_and_gives_examples(capsys):
    with pytest.raises(SystemExit):
        run_cli(capsys, "scan", "--help")
    out = capsys.readouterr().out
    assert "read-only" in out and "exit codes:" in out and "examples:" in out
    for code in ("0", "1", "2", "3"):
        assert re.search(rf"^\s+{code}\s+\w", out, re.M), f"exit code {code} is not explained"


def _examples() -> list[str]:
    lines = [line for command in COMMANDS.values() for line in command.examples]
    blocks = re.findall(r"^```(?:sh|bash|shell)?\n(.*?)^```", README.read_text(), re.M | re.S)
    in_readme = [line.strip() for block in blocks for line in block.splitlines()
                 if line.strip().startswith("auditpack ")]
    return lines + in_readme


@pytest.mark.parametrize("example", _examples())
def test_every_example_is_copy_paste_safe(example):
    """Each parses in a POSIX shell as written (``IA-5(7)`` quoted) and then as auditpack arguments."""
    words = shlex.split(example, comments=True)
    cut = next((i for i, w in enumerate(words) if w in ("|", ">", "&&", ";")), len(words))
    assert words[0] == "auditpack"
    args = words[1:cut]
    if "COMMAND" in args:
        return
    try:
        build_parser().parse_args(args)
    except SystemExit as exc:
        assert exc.code == 0, f"{example!r} does not parse"
    for word in words[1:cut]:
        assert "(" not in word or example.count("'") >= 2, f"{example!r}: parentheses must be quoted"


def test_checks_lists_every_registered_check_with_what_it_reads_and_who_cites_it(capsys):
    result = run_cli(capsys, "checks", "--json")
    assert result.code == 0
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    registered = load_checks()
    assert set(rows) == set(registered.names())
    for check_id, spec in registered.items():
        row = rows[check_id]
        assert row["title"] == spec.title and row["severity"] == spec.severity.value
        assert row["resource_types"] == list(spec.resources) and row["description"] == spec.description
        assert row["services"] and all(isinstance(c, str) for c in row["controls"])
    text = run_cli(capsys, "checks").stdout
    assert all(check_id in text for check_id in rows)


def test_controls_json_has_titles_and_severities(capsys):
    rows = json.loads(run_cli(capsys, "controls", "--json").stdout)
    checks = load_checks()
    for row in rows:
        assert row["title"]
        assert [d["id"] for d in row["check_details"]] == row["checks"]
        for detail in row["check_details"]:
            assert detail["severity"] == checks[detail["id"]].severity.value
            assert detail["title"] == checks[detail["id"]].title
        worst = max((checks[c].severity for c in row["checks"]), key=lambda s: s.rank)
        assert row["severity"] == worst.value
