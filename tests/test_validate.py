"""Control and config validation: every problem named with file, field and what was expected; exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

from auditpack.library.controls import builtin_controls_dir
from tests.helpers import run_cli


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


GOOD = """id: AU-9
oscal_id: au-9
title: Protection of Audit Information
family: Audit and Accountability
summary: Our own words.
checks: [cloudtrail_log_file_validation]
"""


def test_builtin_library_is_valid(capsys):
    result = run_cli(capsys, "validate")
    assert result.code == 0 and result.stdout.startswith("ok:")


def test_yaml_syntax_error_names_file_and_line(tmp_path, capsys):
    path = write(tmp_path / "c", "au-9.yaml", GOOD + "parameters: [\n  - name: x\n")
    result = run_cli(capsys, "validate", "--controls-dir", str(tmp_path / "c"))
    assert result.code == 2
    assert f"{path}:" in result.stderr and "YAML syntax error" in result.stderr
    line = result.stderr.split(f"{path}:")[1].split(":")[0]
    assert line.isdigit() and int(line) >= 7


def test_unknown_key_unknown_check_and_bad_ids_are_all_reported(tmp_path, capsys):
    write(tmp_path / "c", "au-9.yaml", GOOD.replace("summary:", "sumary: typo\nsummary:"))
    write(tmp_path / "c", "ia-5.7.yaml", GOOD.replace("AU-9", "IA-5(7)").replace("au-9", "ia-5.7")
          .replace("cloudtrail_log_file_validation", "no_such_check"))
    write(tmp_path / "c", "bad.yaml", GOOD.replace("id: AU-9", "id: AU9"))
    result = run_cli(capsys, "validate", "--controls-dir", str(tmp_path / "c"))
    assert result.code == 2
    err = result.stderr
    assert "au-9.yaml:5: sumary: unknown field" in err
    assert "ia-5.7.yaml: checks[0]: unknown check id 'no_such_check'" in err
    assert "bad.yaml:1: id: value does not match regex" in err
    assert "Traceback" not in err


def test_duplicate_control_ids_within_a_folder(tmp_path, capsys):
    write(tmp_path / "c", "au-9.yaml", GOOD)
    write(tmp_path / "c" / "more", "au-9.yaml", GOOD)
    result = run_cli(capsys, "validate", "--controls-dir", str(tmp_path / "c"))
    assert result.code == 2 and "duplicate control id AU-9" in result.stderr


def test_user_folder_overrides_a_builtin_control(tmp_path, capsys):
    write(tmp_path / "c", "au-9.yaml", GOOD.replace("Our own words.", "Overridden."))
    result = run_cli(capsys, "controls", "--json", "--controls-dir", str(tmp_path / "c"))
    assert result.code == 0
    assert '"cloudtrail_kms_encrypted"' not in result.stdout.split('"AU-9"')[1].split("}")[0]


def test_parameter_value_failing_the_checks_schema(tmp_path, capsys):
    config = write(tmp_path, "auditpack.yaml", "parameters:\n  high_finding_max_age_days: -3\n")
    result = run_cli(capsys, "validate", "--config", str(config))
    assert result.code == 2
    assert f"{config}: parameters.high_finding_max_age_days: min value is 0" in result.stderr


def test_control_default_failing_the_checks_schema(tmp_path, capsys):
    shutil.copy(builtin_controls_dir() / "ir-4.yaml", tmp_path / "ir-4.yaml")
    text = (tmp_path / "ir-4.yaml").read_text().replace("default: 7", "default: seven")
    write(tmp_path / "c", "ir-4.yaml", text)
    result = run_cli(capsys, "validate", "--controls-dir", str(tmp_path / "c"))
    assert result.code == 2 and "must be of integer type" in result.stderr


def test_unknown_config_keys_and_parameters(tmp_path, capsys):
    config = write(tmp_path, "auditpack.yaml", "organisation: {name: x}\nparameters:\n  nope: 1\n")
    result = run_cli(capsys, "validate", "--config", str(config))
    assert result.code == 2
    assert f"{config}:1: organisation: unknown field" in result.stderr


def test_malformed_control_stops_a_scan_before_any_call(tmp_path, capsys):
    write(tmp_path / "c", "au-9.yaml", "id: [unclosed\n")
    result = run_cli(capsys, "scan", "--controls-dir", str(tmp_path / "c"), "--out", str(tmp_path / "out"))
    assert result.code == 2 and "au-9.yaml:" in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_problem_of_a_config_is_reported_in_one_run(tmp_path, capsys):
    config = write(tmp_path, "auditpack.yaml", """\
organisation: {name: x}
collection:
  max_workers: many
  read_timeout: 0
scope:
  regions: [us-east-1, mars]
formats: [pdf, docx]
waivers:
  - check_id: no_such_check
    resource: "arn:aws:s3:::b"
    justification: j
    approved_by: a
    expires: 2026-02-30
""")
    result = run_cli(capsys, "validate", "--config", str(config))
    assert result.code == 2
    for line in (f"{config}:1: organisation: unknown field",
                 f"{config}:3: collection.max_workers: must be a whole number (not 'many')",
                 f"{config}:4: collection.read_timeout: must be at least 1",
                 f"{config}:6: scope.regions[1]: 'mars' is not a region name such as us-east-1",
                 f"{config}:7: formats[1]: unknown format 'docx' (known: json, oscal, ocsf, asff, csv, html, pdf)",
                 f"{config}:9: waivers[0].check_id: unknown check id 'no_such_check'",
                 f"{config}:13: waivers[0].expires: '2026-02-30' is not a valid date (YYYY-MM-DD)"):
        assert line in result.stderr, result.stderr
    assert "String should match" not in result.stderr and "^" not in result.stderr, "no raw patterns"


def test_every_default_is_declared_once_in_the_config_schema():
    from auditpack.collect.accounts import AccountSelection
    from auditpack.collect.session import client_config
    from auditpack.library.config import Config

    defaults = Config()
    assert AccountSelection().role_name == defaults.scope.role_name
    botocore = client_config(defaults.collection)
    assert botocore.retries["max_attempts"] == defaults.collection.max_attempts
    assert (botocore.connect_timeout, botocore.read_timeout) == (defaults.collection.connect_timeout,
                                                                 defaults.collection.read_timeout)
