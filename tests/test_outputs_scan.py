"""The exchange formats from a real scan of the emulated account, read back by their real consumers."""

from __future__ import annotations

import csv
import json

import jsonschema
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.poam import PlanOfActionAndMilestones

from auditpack.emulator.seeding.monitoring import seed_logging
from auditpack.render.formats.assessment_json import json_schema
from tests.assessment_schema import schema_errors
from tests.formats_support import empty_arrays, import_all, nist_errors, ocsf_errors
from tests.helpers import load_assessment, run_cli

FORMATS = "json,oscal,ocsf,asff,csv"


def test_scan_writes_every_exchange_format_and_each_is_valid(aws, out_dir, capsys):
    seed_logging("us-east-1")
    result = run_cli(capsys, "scan", "--region", "us-east-1", "--out", str(out_dir), "--quiet", "--format", FORMATS)
    assert result.code == 1, result.stderr
    assessment = load_assessment(out_dir)
    findings = assessment["findings"]
    assert any(f["status"] == "fail" for f in findings)

    # assessment.json against the schema `auditpack schema` prints.
    schema_run = run_cli(capsys, "schema")
    assert json.loads(schema_run.stdout) == json_schema()
    jsonschema.Draft202012Validator(json.loads(schema_run.stdout)).validate(assessment)
    assert schema_errors(out_dir / "assessment.json") == []

    # OSCAL: NIST schema + trestle.
    for name, model in (("assessment-plan.oscal.json", "assessment-plan"),
                        ("assessment-results.oscal.json", "assessment-results"), ("poam.oscal.json", "poam")):
        doc = json.loads((out_dir / name).read_text())
        assert nist_errors(model, doc) == [], name
        assert empty_arrays(doc) == [], name
    results = AssessmentResults.oscal_read(out_dir / "assessment-results.oscal.json")
    AssessmentPlan.oscal_read(out_dir / "assessment-plan.oscal.json")
    PlanOfActionAndMilestones.oscal_read(out_dir / "poam.oscal.json")
    result = results.results[0]
    assert len(result.observations) == len(findings)
    assert {c.control_id for c in result.reviewed_controls.control_selections[0].include_controls} == {
        c["oscal_id"] for c in assessment["controls"]}
    asset_ids = {p.value for i in result.local_definitions.inventory_items for p in i.props if p.name == "asset-id"}
    assert asset_ids == {f["resource"]["arn"] for f in findings}
    evidence_files = {p.relative_to(out_dir).as_posix() for p in (out_dir / "evidence").rglob("*.json")}
    assert {r.rlinks[0].href for r in results.back_matter.resources} == evidence_files

    # OCSF, ASFF, CSV.
    events = json.loads((out_dir / "findings.ocsf.json").read_text())
    assert len(events) == sum(len(f["control_ids"]) for f in findings)
    assert all(ocsf_errors(e) == [] for e in events)
    assert {e["cloud"]["region"] for e in events} == {"us-east-1"}  # global findings filed under home region
    assert import_all(json.loads((out_dir / "findings.asff.json").read_text())) == len(findings)
    with (out_dir / "findings.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [r["finding_id"] for r in csv.DictReader(handle)] == [f["id"] for f in findings]


def test_format_flag_writes_only_what_was_asked(aws, out_dir, capsys):
    seed_logging("us-east-1")
    result = run_cli(capsys, "scan", "--region", "us-east-1", "--out", str(out_dir), "--quiet",
                     "--format", "csv", "--control", "AU-9")
    assert result.code == 1, result.stderr
    written = {p.name for p in out_dir.iterdir() if p.is_file()}
    assert {"assessment.json", "findings.csv"} <= written
    assert not written & {"assessment-results.oscal.json", "findings.ocsf.json", "findings.asff.json"}


def test_schema_guard_is_installed_and_bites(tmp_path):
    from auditpack.render import load_formats

    assert load_formats()["json"].writer.__name__ == "checked", "the autouse guard wraps the json writer"
    from tests.formats_support import synthetic_assessment

    document = json.loads(synthetic_assessment(tmp_path).model_dump_json())
    document["findings"][0]["status"] = "maybe"
    document["colour"] = "red"
    path = tmp_path / "assessment.json"
    path.write_text(json.dumps(document))
    errors = schema_errors(path)
    assert any("maybe" in e for e in errors) and any("colour" in e for e in errors)


def test_assessment_json_is_written_a_finding_at_a_time_yet_reads_as_one_document(tmp_path):
    """The streamed file is byte for byte what one ``model_dump_json(indent=2)`` gives, with or without
    findings, nested details, quotes, newlines and non-ASCII text included."""
    from dataclasses import replace

    from auditpack.library.config import Config
    from auditpack.render import RenderContext
    from auditpack.render.formats.assessment_json import read_assessment, write_assessment
    from tests.formats_support import synthetic_assessment

    full = synthetic_assessment(tmp_path)
    tricky = replace(full.findings[0], message='Line one\n  "findings": [],\nüñï\u2028 "quoted"',
                     details={"nested": {"list": [1, {"a": "b"}]}})
    full = full.model_copy(update={"findings": [tricky, *full.findings]})
    for assessment in (full, full.model_copy(update={"findings": []})):
        pack = tmp_path / f"pack-{len(assessment.findings)}"
        pack.mkdir()
        [path] = write_assessment(assessment, RenderContext(pack=pack, config=Config()))
        assert path.read_text(encoding="utf-8") == assessment.model_dump_json(indent=2) + "\n"
        assert read_assessment(pack) == assessment


def test_lazy_arrays_are_written_element_by_element_and_read_back_as_plain_json(tmp_path):
    from auditpack.render.common import Lazy, write_json

    made: list[int] = []

    def rows():
        for i in range(3):
            made.append(i)
            yield {"i": i, "text": 'ü "quoted"\nnext line', "nested": [{"deep": [1, 2]}]}

    document = {"a": 1, "empty_list": [], "empty_map": {}, "plain": [1, "two", None],
                "mixed": [{"x": True}, [3]], "rows": {"items": Lazy(rows())}}
    text = write_json(tmp_path / "doc.json", document).read_text(encoding="utf-8")
    expected_rows = [{"i": i, "text": 'ü "quoted"\nnext line', "nested": [{"deep": [1, 2]}]} for i in range(3)]
    assert json.loads(text) == {**document, "rows": {"items": expected_rows}}
    assert made == [0, 1, 2]
    assert sum(line.strip().startswith('{"i": ') for line in text.splitlines()) == 3  # one element per line

    assert write_json(tmp_path / "none.json", Lazy(iter(()))).read_text() == "[]\n"
    assert json.loads(write_json(tmp_path / "two.json", Lazy(iter([{"a": 1}, {"b": 2}]))).read_text()) == [
        {"a": 1}, {"b": 2}]
