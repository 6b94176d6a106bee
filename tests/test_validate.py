"""Control and config validation: every problem named with file, field and what was expected; exit 2."""

from __future__ import annotations

import re
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
    assert "ia-5.7.yaml:6: checks[0]: unknown check id 'no_such_check'" in err
    assert "bad.yaml:1: id: 'AU9' is not a NIST control id such as AC-2 or IA-5(7)" in err
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
    assert f"{config}:2: parameters.high_finding_max_age_days: must be at least 0 (not -3)" in result.stderr


def test_control_default_failing_the_checks_schema(tmp_path, capsys):
    shutil.copy(builtin_controls_dir() / "ir-4.yaml", tmp_path / "ir-4.yaml")
    text = (tmp_path / "ir-4.yaml").read_text().replace("default: 7", "default: seven")
    path = write(tmp_path / "c", "ir-4.yaml", text)
    line = text.splitlines().index("    default: seven") + 1
    result = run_cli(capsys, "validate", "--controls-dir", str(tmp_path / "c"))
    assert result.code == 2
    assert result.stderr.count(str(path)) == 1, "a type error, not also a conflict with SI-4's default"
    assert f"{path}:{line}: parameters[0].default: must be a whole number (not 'seven')" in result.stderr


def test_every_problem_of_every_control_file_is_reported_in_one_run(tmp_path, capsys):
    folder = tmp_path / "c"
    six = write(folder, "ia-5.7.yaml", """\
id: IA-5(7)
oscal_id: ia-5.8
title: No Embedded Unencrypted Static Authenticators
family: Identification and Authentication
sumary: typo
summary: Our own words.
checks:
  - secretsmanager_rotaton_enabled
  - 42
  - secretsmanager_rotated_within
parameters:
  - name: Maximum secret age
    feeds: secret_max_age_days
    default: ninety
  - name: Not a parameter
    feeds: no_such_parameter
    default: 3
    odp_id: bad
""")
    misnamed = write(folder, "audit.yaml", GOOD)
    broken = write(folder, "ac-2.yaml", "id: AC-2\ntitle: [unclosed\n")
    builtin_si4 = (builtin_controls_dir() / "si-4.yaml").read_text()
    conflicting = write(folder, "si-4.yaml", builtin_si4.replace("default: 7", "default: 9"))
    conflict_line = builtin_si4.replace("default: 7", "default: 9").splitlines().index("    default: 9") + 1
    result = run_cli(capsys, "validate", "--controls-dir", str(folder))
    assert result.code == 2
    expected = [
        f"{six}:2: oscal_id: control IA-5(7) is ia-5.7 in OSCAL: set oscal_id to 'ia-5.7'",
        f"{six}:5: sumary: unknown field",
        f"{six}:8: checks[0]: unknown check id 'secretsmanager_rotaton_enabled' "
        "(did you mean secretsmanager_rotation_enabled?)",
        f"{six}:9: checks[1]: must be text (not 42)",
        f"{six}:14: parameters[0].default: must be a whole number (not 'ninety')",
        f"{six}:16: parameters[1].feeds: 'no_such_parameter' is not a parameter of this control's checks "
        "(secret_max_age_days)",
        f"{six}:18: parameters[1].odp_id: 'bad' is not an OSCAL parameter id such as ia-05.01_odp.01",
        f"{misnamed}:2: oscal_id: control AU-9 is au-9 in OSCAL: name the file au-9.yaml",
        f"{conflicting}:{conflict_line}: parameters[",
    ]
    for line in expected:
        assert line in result.stderr, (line, result.stderr)
    assert re.search(rf"{re.escape(str(broken))}:\d+: YAML syntax error", result.stderr)
    assert result.stderr.index(f"{six}:2:") < result.stderr.index(f"{six}:5:") < result.stderr.index(f"{six}:18:")
    assert "regex" not in result.stderr and "^" not in result.stderr, "no raw patterns"


def test_expired_waiver_is_a_warning_at_validate_time(tmp_path, capsys):
    config = write(tmp_path, "auditpack.yaml", """\
waivers:
  - check_id: iam_root_mfa
    resource: "arn:aws:iam::*:root"
    justification: Hardware token on order
    approved_by: CISO
    expires: 2001-01-31
  - check_id: iam_root_mfa
    resource: "arn:aws:iam::*:root"
    justification: Hardware token on order
    approved_by: CISO
    expires: 2999-01-31
""")
    result = run_cli(capsys, "validate", "--config", str(config))
    assert result.code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {config}:6: waivers[0].expires: the waiver of iam_root_mfa for "
                        "arn:aws:iam::*:root expired on 2001-01-31; its findings count as failures again"]


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


def test_a_control_parameter_without_a_default_takes_its_checks_default(tmp_path, capsys):
    """A tool-defined value is declared once, in the check's schema: the control file may leave it out."""
    import json

    from auditpack.resources.key_activity import LOOKBACK_DAYS

    text = (builtin_controls_dir() / "ir-4.yaml").read_text()
    assert "leaked_key_lookback_days\n    default" not in text  # the built-in files already inherit it
    write(tmp_path / "c", "ir-4.yaml", text.replace("    default: 7\n", ""))
    assert run_cli(capsys, "validate", "--controls-dir", str(tmp_path / "c")).code == 0
    listed = {c["id"]: c["parameters"] for c in json.loads(
        run_cli(capsys, "controls", "--controls-dir", str(tmp_path / "c"), "--json").stdout)}
    assert listed["IR-4"] == {"high_finding_max_age_days": 7, "leaked_key_lookback_days": LOOKBACK_DAYS}
    config = write(tmp_path, "auditpack.yaml", "parameters:\n  leaked_key_lookback_days: 30\n")
    listed = {c["id"]: c["parameters"] for c in json.loads(
        run_cli(capsys, "controls", "--config", str(config), "--json").stdout)}
    assert listed["IR-4"]["leaked_key_lookback_days"] == 30 == listed["AC-2"]["leaked_key_lookback_days"]


def test_a_control_parameter_needs_a_default_when_its_check_declares_none():
    from auditpack.library.controls import _parameter_problems

    param = {"name": "Retention", "feeds": "retention_days", "odp_id": None}
    [found] = _parameter_problems(Path("x.yaml"), {"parameters[0].feeds": 9}, 0, param,
                                  {"retention_days": {"type": "integer"}})
    assert "x.yaml:9: parameters[0].feeds" in str(found) and "give this parameter a default" in str(found)
    assert _parameter_problems(Path("x.yaml"), {}, 0, {**param, "default": 30},
                               {"retention_days": {"type": "integer"}}) == []
