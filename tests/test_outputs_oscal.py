"""OSCAL plan, results and POA&M: read back by compliance-trestle and validated against NIST's JSON Schema."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.poam import PlanOfActionAndMilestones

from auditpack.library.config import Config
from auditpack.models import Status
from auditpack.render import RenderContext
from auditpack.render.formats.oscal import OSCAL_VERSION, PLAN_FILE, POAM_FILE, RESULTS_FILE, write_oscal
from tests.formats_support import (
    SEEDED_SECRET,
    STARTED,
    all_strings,
    empty_arrays,
    nist_errors,
    nist_schema_version,
    synthetic_assessment,
)

MODELS = {PLAN_FILE: "assessment-plan", RESULTS_FILE: "assessment-results", POAM_FILE: "poam"}
DATE_TIME_KEYS = {"last-modified", "published", "start", "end", "collected", "deadline", "expires"}


def render(pack: Path, config: Config | None = None):
    assessment = synthetic_assessment(pack)
    paths = write_oscal(assessment, RenderContext(pack=pack, config=config or Config()))
    docs = {p.name: json.loads(p.read_text()) for p in paths}
    return assessment, docs


@pytest.fixture
def rendered(tmp_path):
    return render(tmp_path)


def results_of(docs):
    return docs[RESULTS_FILE]["assessment-results"]["results"][0]


def test_all_three_documents_are_valid_for_nist_schema_and_trestle(rendered, tmp_path):
    _, docs = rendered
    assert set(docs) == set(MODELS)
    for name, model in MODELS.items():
        assert nist_errors(model, docs[name]) == [], name
        assert empty_arrays(docs[name]) == [], name
    # A real consumer reads the files the way a GRC pipeline would.
    plan = AssessmentPlan.oscal_read(tmp_path / PLAN_FILE)
    results = AssessmentResults.oscal_read(tmp_path / RESULTS_FILE)
    poam = PlanOfActionAndMilestones.oscal_read(tmp_path / POAM_FILE)
    assert results.import_ap.href == PLAN_FILE
    assert {c.control_id for c in plan.reviewed_controls.control_selections[0].include_controls} >= {"ia-5.7"}
    assert len(poam.poam_items) >= 1
    assert results.metadata.oscal_version.root.root == OSCAL_VERSION == nist_schema_version()


def test_validators_reject_what_oscal_forbids(rendered):
    """The proof above means something only if the validator bites on empty arrays and unknown properties."""
    _, docs = rendered
    empty = copy.deepcopy(docs[RESULTS_FILE])
    empty["assessment-results"]["results"][0]["risks"] = []
    unknown = copy.deepcopy(docs[RESULTS_FILE])
    unknown["assessment-results"]["results"][0]["findings"][0]["colour"] = "red"
    naive = copy.deepcopy(docs[RESULTS_FILE])
    naive["assessment-results"]["results"][0]["start"] = "2026-11-02T09:00:00"
    for broken in (empty, unknown, naive):
        assert nist_errors("assessment-results", broken)
    with pytest.raises(ValueError):
        AssessmentResults.model_validate(unknown["assessment-results"])


def test_results_carry_controls_inventory_and_one_observation_per_check_result(rendered, tmp_path):
    assessment, docs = rendered
    result = results_of(docs)
    selected = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert [c["control-id"] for c in selected] == [c.oscal_id for c in assessment.controls]
    items = result["local-definitions"]["inventory-items"]
    asset_ids = {p["value"] for i in items for p in i["props"] if p["name"] == "asset-id"}
    assert asset_ids == {f.resource.arn for f in assessment.findings}
    assert len(items) == len(asset_ids), "one inventory item per resource"
    item_by_uuid = {i["uuid"] for i in items}
    observations = result["observations"]
    assert len(observations) == len(assessment.findings)
    for obs, finding in zip(observations, assessment.findings, strict=True):
        assert obs["methods"] == ["TEST"]
        assert obs["description"] == finding.message
        assert obs["subjects"][0]["subject-uuid"] in item_by_uuid
        assert [e["href"] for e in obs.get("relevant-evidence", [])] == finding.evidence
        for evidence in obs.get("relevant-evidence", []):
            assert (tmp_path / evidence["href"]).is_file()
        assert obs["collected"] == ("2026-11-02T09:01:00.000Z" if finding.evidence else "2026-11-02T09:00:00.000Z")


def test_one_finding_per_control_with_documented_status_mapping(rendered):
    assessment, docs = rendered
    result = results_of(docs)
    by_target = {f["target"]["target-id"]: f for f in result["findings"]}
    assert len(by_target) == len(assessment.controls)
    expected = {  # control status -> (OSCAL state, reason)
        "au-2_obj": ("not-satisfied", "fail", "not-satisfied"),
        "si-4_obj": ("satisfied", "pass", "satisfied"),
        "ir-4_obj": ("not-satisfied", "other", "not-assessed"),
        "ia-5.7_obj": ("satisfied", "other", "not-applicable"),
    }
    for target, (state, reason, ours) in expected.items():
        finding = by_target[target]
        assert finding["target"]["type"] == "objective-id"
        assert (finding["target"]["status"]["state"], finding["target"]["status"]["reason"]) == (state, reason)
        assert {"name": "control-status", "ns": "https://auditpack.dev/ns/oscal", "value": ours} in finding["props"]
    observation_uuids = {o["uuid"] for o in result["observations"]}
    for finding in result["findings"]:
        for rel in finding.get("related-observations", []):
            assert rel["observation-uuid"] in observation_uuids


def test_risks_are_open_for_failures_and_deviation_approved_for_waivers(rendered):
    _, docs = rendered
    result = results_of(docs)
    risks = {r["uuid"]: r for r in result["risks"]}
    au9 = next(f for f in result["findings"] if f["target"]["target-id"] == "au-9_obj")
    statuses = sorted(risks[r["risk-uuid"]]["status"] for r in au9["related-risks"])
    assert statuses == ["deviation-approved", "open"]
    approved = next(risks[r["risk-uuid"]] for r in au9["related-risks"]
                    if risks[r["risk-uuid"]]["status"] == "deviation-approved")
    assert "Legacy trail" in approved["statement"] and approved["deadline"].startswith("2027-01-31T23:59:59")
    si4 = next(f for f in result["findings"] if f["target"]["target-id"] == "si-4_obj")
    assert "related-risks" not in si4
    au2_risk = next(r for r in result["risks"] if r["title"].startswith("AU-2 "))
    assert au2_risk["status"] == "open"
    assert au2_risk["deadline"] == (STARTED + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # high: 30


def test_back_matter_hashes_every_evidence_file(rendered, tmp_path):
    _, docs = rendered
    resources = docs[RESULTS_FILE]["assessment-results"]["back-matter"]["resources"]
    files = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "evidence").rglob("*.json"))
    assert sorted(r["rlinks"][0]["href"] for r in resources) == files
    for resource in resources:
        link = resource["rlinks"][0]
        digest = hashlib.sha256((tmp_path / link["href"]).read_bytes()).hexdigest()
        assert link["hashes"] == [{"algorithm": "SHA-256", "value": digest}]
    by_uuid = {r["uuid"] for r in resources}
    for obs in results_of(docs)["observations"]:
        for evidence in obs.get("relevant-evidence", []):
            assert evidence["links"][0]["href"].lstrip("#") in by_uuid


def test_poam_has_one_item_per_failing_control_and_resource_group_with_config_deadlines(tmp_path):
    config = Config(remediation_days={"critical": 3, "high": 7, "medium": 45, "low": 90, "informational": 365})
    assessment, docs = render(tmp_path, config)
    poam = docs[POAM_FILE]["plan-of-action-and-milestones"]
    risks = {r["uuid"]: r for r in poam["risks"]}
    groups = {(i["title"], risks[i["related-risks"][0]["risk-uuid"]]["status"]) for i in poam["poam-items"]}
    assert groups == {
        ("AU-2: AWS::::Account in account 123456789012", "open"),
        ("AU-12: AWS::::Account in account 123456789012", "open"),
        ("AU-9: AWS::CloudTrail::Trail in account 123456789012", "open"),
        ("AU-9: AWS::CloudTrail::Trail in account 123456789012", "deviation-approved"),
    }
    deadlines = {risks[i["related-risks"][0]["risk-uuid"]]["title"]: risks[i["related-risks"][0]["risk-uuid"]]
                 ["deadline"] for i in poam["poam-items"] if "AU-2" in i["title"]}
    assert list(deadlines.values()) == [(STARTED + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")]
    medium = next(risks[i["related-risks"][0]["risk-uuid"]] for i in poam["poam-items"]
                  if "AU-9" in i["title"] and risks[i["related-risks"][0]["risk-uuid"]]["status"] == "open")
    assert medium["deadline"].startswith((STARTED + timedelta(days=45)).date().isoformat())
    assert medium["remediations"][0]["description"] == "Fix management-events."
    failing_arns = {f.resource.arn for f in assessment.findings if f.status in (Status.FAIL, Status.WAIVED)}
    assert {p["value"] for i in poam["local-definitions"]["inventory-items"] for p in i["props"]
            if p["name"] == "asset-id"} == failing_arns


def test_poam_is_not_written_when_nothing_needs_fixing(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    clean = assessment.model_copy(update={"findings": [f for f in assessment.findings
                                                        if f.status not in (Status.FAIL, Status.WAIVED)]})
    paths = write_oscal(clean, RenderContext(pack=tmp_path, config=Config()))
    assert sorted(p.name for p in paths) == sorted([PLAN_FILE, RESULTS_FILE])
    assert not (tmp_path / POAM_FILE).exists()
    results = json.loads((tmp_path / RESULTS_FILE).read_text())
    assert nist_errors("assessment-results", results) == []
    assert empty_arrays(results) == []


def _uuids(doc: dict, kind: str) -> list[str]:
    result = doc["assessment-results"]["results"][0]
    if kind == "inventory":
        return [i["uuid"] for i in result["local-definitions"]["inventory-items"]]
    return [f["uuid"] for f in result[kind]]


def test_tracked_things_keep_their_uuid_across_runs_and_per_run_things_do_not(tmp_path):
    _, first = render(tmp_path / "a")
    _, second = render(tmp_path / "b")
    one, two = first[RESULTS_FILE], second[RESULTS_FILE]
    for kind in ("inventory", "findings", "risks"):
        assert _uuids(one, kind) == _uuids(two, kind), kind
        assert {uuid.UUID(u).version for u in _uuids(one, kind)} == {5}
    assert not set(_uuids(one, "observations")) & set(_uuids(two, "observations"))
    assert {uuid.UUID(u).version for u in _uuids(one, "observations")} == {4}
    assert one["assessment-results"]["uuid"] != two["assessment-results"]["uuid"]
    assert uuid.UUID(one["assessment-results"]["uuid"]).version == 4


def test_every_date_time_has_a_zone_and_no_secret_leaks(rendered):
    _, docs = rendered
    zoned = re.compile(r"T\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in DATE_TIME_KEYS:
                    assert zoned.search(value), (key, value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for doc in docs.values():
        walk(doc)
        assert not any(SEEDED_SECRET in s for s in all_strings(doc))
    props = [p for o in results_of(docs)["observations"] for p in o["props"]]
    assert {"name": "masked", "ns": "https://auditpack.dev/ns/oscal", "value": "AKIA…MPLE"} in props


def test_awkward_values_still_give_valid_documents(tmp_path):
    """Blank names, multi-line messages and padded detail values must not break OSCAL's string rules."""
    assessment = synthetic_assessment(tmp_path)
    odd = replace(assessment.findings[1], **{
        "resource": assessment.findings[1].resource.model_copy(update={"name": ""}),
        "message": "line one\n  line two — ünïcode <b>",
        "details": {"masked": "  AKIA…MPLE  ", "fingerprint": " "},
    })
    paths = write_oscal(assessment.model_copy(update={"findings": [odd, *assessment.findings[2:]]}),
                        RenderContext(pack=tmp_path, config=Config()))
    for path in paths:
        doc = json.loads(path.read_text())
        assert nist_errors(MODELS[path.name], doc) == [], path.name
        assert empty_arrays(doc) == []
    AssessmentResults.oscal_read(tmp_path / RESULTS_FILE)


def test_waiver_known_only_from_the_waiver_report_still_reaches_every_format(tmp_path):
    """A waived finding without its own ``waiver`` gets it from ``assessment.waivers`` (the run's waiver report)."""
    from auditpack.models import WaiverState, WaiverStatus
    from auditpack.render.common import with_waivers
    from auditpack.render.formats.asff import batches

    assessment = synthetic_assessment(tmp_path)
    waived = next(f for f in assessment.findings if f.status == Status.WAIVED)
    report = WaiverStatus(waiver=waived.waiver, state=WaiverState.ACTIVE, finding_ids=[waived.id])
    bare = assessment.model_copy(update={
        "findings": [replace(f, waiver=None) if f.id == waived.id else f for f in assessment.findings],
        "waivers": [report]})
    assert next(f for f in with_waivers(bare).findings if f.id == waived.id).waiver == waived.waiver
    write_oscal(bare, RenderContext(pack=tmp_path, config=Config()))
    risks = json.loads((tmp_path / RESULTS_FILE).read_text())["assessment-results"]["results"][0]["risks"]
    approved = next(r for r in risks if r["status"] == "deviation-approved")
    assert "Legacy trail" in approved["statement"]
    asff = next(f for b in batches(with_waivers(bare)) for f in b["Findings"] if f["Id"].endswith(waived.id))
    assert asff["Workflow"] == {"Status": "SUPPRESSED"} and "Legacy trail" in asff["Note"]["Text"]


def _fedramp_render(pack: Path):
    """Results with an assessor named in the config and a previous run, as ``scan --previous`` writes them."""
    assessment = synthetic_assessment(pack)
    previous = synthetic_assessment(pack).model_copy(update={
        "run": assessment.run.model_copy(update={"id": str(uuid.uuid4()), "started_at": STARTED - timedelta(days=91),
                                                 "finished_at": STARTED - timedelta(days=91)})})
    config = Config(assessor={"name": "Example Assessors LLC"})
    paths = write_oscal(assessment, RenderContext(pack=pack, config=config, previous=previous))
    return assessment, previous, {p.name: json.loads(p.read_text()) for p in paths}


def test_results_follow_the_fedramp_sar_conventions(tmp_path):
    assessment, previous, docs = _fedramp_render(tmp_path)
    for name, model in MODELS.items():
        assert nist_errors(model, docs[name]) == [], name
        assert empty_arrays(docs[name]) == [], name
    loaded = AssessmentResults.oscal_read(tmp_path / RESULTS_FILE)
    assert len(loaded.results) == 2
    document = docs[RESULTS_FILE]["assessment-results"]
    current, earlier = document["results"]
    run_id = {p["name"]: p["value"] for p in current["props"]}["run-id"]
    assert run_id == assessment.run.id
    assert {p["name"]: p["value"] for p in earlier["props"]}["run-id"] == previous.run.id
    assert earlier["start"] < current["start"]

    # The assessor party from the config, in its FedRAMP role; the tool as an assessment asset.
    metadata = document["metadata"]
    (assessor,) = [p for p in metadata["parties"] if p["name"] == "Example Assessors LLC"]
    assert metadata["roles"] == [{"id": "assessor", "title": "Assessor"}]
    assert metadata["responsible-parties"] == [{"role-id": "assessor", "party-uuids": [assessor["uuid"]]}]
    assets = current["local-definitions"]["assessment-assets"]
    (tool,) = assets["components"]
    assert tool["title"] == "auditpack" and assets["assessment-platforms"][0]["uses-components"] == [
        {"component-uuid": tool["uuid"]}]

    # Every observation, finding and risk names its origin: the tool and the assessor.
    expected = [{"actors": [{"type": "tool", "actor-uuid": tool["uuid"]},
                            {"type": "party", "actor-uuid": assessor["uuid"], "role-id": "assessor"}]}]
    for kind in ("observations", "findings", "risks"):
        assert current[kind] and all(item["origins"] == expected for item in current[kind]), kind
    assert all(f["origins"][0]["actors"][0]["actor-uuid"] == tool["uuid"] for f in earlier["findings"])

    # Findings carry a reason, link their observations and risks, and every link resolves.
    observations = {o["uuid"] for o in current["observations"]}
    risks = {r["uuid"] for r in current["risks"]}
    for finding in current["findings"] + earlier["findings"]:
        assert finding["target"]["status"]["reason"] in ("pass", "fail", "other")
    for finding in current["findings"]:
        assert {r["observation-uuid"] for r in finding.get("related-observations", [])} <= observations
        assert {r["risk-uuid"] for r in finding.get("related-risks", [])} <= risks
    failing = [f for f in current["findings"] if f["target"]["status"]["state"] == "not-satisfied"
               and {p["name"]: p["value"] for p in f["props"]}["control-status"] == "not-satisfied"]
    assert failing and all(f["related-risks"] and f["related-observations"] for f in failing)
    for risk in current["risks"]:
        assert {r["observation-uuid"] for r in risk["related-observations"]} <= observations
    # The previous result's findings never reuse this run's stable finding UUIDs.
    assert not {f["uuid"] for f in earlier["findings"]} & {f["uuid"] for f in current["findings"]}
    types = {o["types"][0] for o in current["observations"]}
    assert types == {"finding", "control-objective"}


def test_without_an_assessor_the_tool_is_the_only_origin(rendered):
    _, docs = rendered
    result = results_of(docs)
    assert "roles" not in docs[RESULTS_FILE]["assessment-results"]["metadata"]
    assert all(len(f["origins"][0]["actors"]) == 1 for f in result["findings"])
    assert len(docs[RESULTS_FILE]["assessment-results"]["results"]) == 1
