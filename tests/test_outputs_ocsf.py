"""OCSF Compliance Findings, validated against the OCSF schema export that ``ocsf-json-schema`` ships."""

from __future__ import annotations

import copy
import json

from auditpack.library.config import Config
from auditpack.render import RenderContext
from auditpack.render.formats.ocsf import FILENAME, OCSF_VERSION, write_ocsf
from tests.formats_support import FINGERPRINT, FINISHED, SEEDED_SECRET, all_strings, ocsf_errors, synthetic_assessment


def render(tmp_path):
    assessment = synthetic_assessment(tmp_path)
    (path,) = write_ocsf(assessment, RenderContext(pack=tmp_path, config=Config()))
    assert path.name == FILENAME
    return assessment, json.loads(path.read_text())


def test_one_valid_compliance_finding_per_finding_and_control(tmp_path):
    assessment, events = render(tmp_path)
    assert len(events) == sum(len(f.control_ids) for f in assessment.findings)
    for event in events:
        assert ocsf_errors(event) == [], event["finding_info"]["uid"]
        assert event["class_uid"] == 2003 and event["type_uid"] == 200301
        assert event["metadata"]["version"] == OCSF_VERSION
        assert event["time"] == int(FINISHED.timestamp() * 1000)
        assert event["compliance"]["standards"] == ["NIST SP 800-53 Rev. 5"]
        assert event["compliance"]["requirements"] == [f"NIST.800-53.r5 {event['compliance']['control']}"]
        assert event["cloud"]["provider"] == "AWS" and event["cloud"]["account"]["uid"] == "123456789012"
        assert event["remediation"]["desc"]
    pairs = {(e["finding_info"]["uid"].split(":")[0], e["compliance"]["control"]) for e in events}
    assert pairs == {(f.id, c) for f in assessment.findings for c in f.control_ids}


def test_statuses_waivers_and_global_region(tmp_path):
    _, events = render(tmp_path)
    by_code = {e["compliance"]["status_code"]: e for e in events}
    assert {k: v["compliance"]["status_id"] for k, v in by_code.items()} == {
        "fail": 3, "waived": 3, "pass": 1, "error": 2, "not-applicable": 99}
    assert by_code["waived"]["status_id"] == 3 and "Legacy trail" in by_code["waived"]["comment"]
    global_event = next(e for e in events if e["compliance"]["control"] == "AU-2")
    assert global_event["cloud"]["region"] == "us-east-1"  # "global" is filed under the home region
    assert global_event["resources"][0]["region"] == "us-east-1"
    assert global_event["unmapped"] == {"fingerprint": FINGERPRINT, "masked": "AKIA…MPLE"}
    assert not any(SEEDED_SECRET in s for s in all_strings(events))


def test_schema_rejects_what_ocsf_does_not_define(tmp_path):
    _, events = render(tmp_path)
    unknown = copy.deepcopy(events[0])
    unknown["compliance"]["colour"] = "red"
    bad_enum = copy.deepcopy(events[0])
    bad_enum["compliance"]["status_id"] = 7
    missing = copy.deepcopy(events[0])
    del missing["cloud"]
    for broken in (unknown, bad_enum, missing):
        assert ocsf_errors(broken)
