"""The report's content rules, without AWS: what details may be shown, escaping, the PDF cap, the HTML keeping
everything, charts, and sections for waivers and run comparison."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from auditpack.collect.evidence import evidence_in
from auditpack.emulator.synthetic import synthetic_assessment
from auditpack.models import ResourceRef, Status
from auditpack.render import charts
from auditpack.render.report import build_report, render_report

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def unmarked(markup: str) -> str:
    """The markup without the break marks and keep-whole spans identifiers carry (render.report._break_after)."""
    return re.sub(r'<wbr>|\u200b|<span class="(?:whole|long)">([^<]*)</span>', r"\1", markup)


@pytest.fixture(scope="module")
def assessment():
    a = synthetic_assessment(findings=400, controls=8, checks=8, accounts=2)
    n, first = next((n, f) for n, f in enumerate(a.findings) if f.status == Status.FAIL)
    a.findings[n] = replace(
        first, resource=ResourceRef(arn=first.resource.arn, type=first.resource.type,
                                    name='<script>alert("x")</script>&co'),
        message="Bad <b>bold</b> message",
        details={"secret_value": SECRET, "password": SECRET, "value_masked": SECRET,
                 "key_masked": "AKIA…MPLE", "key_fingerprint": "hmac-sha256:" + "ab" * 16, "age_days": 412,
                 "nested": {"SecretString": SECRET}})
    return a


@pytest.fixture(scope="module")
def html(assessment) -> str:
    return render_report(build_report(assessment), "html")


@pytest.fixture(scope="module")
def pdf_markup(assessment) -> str:
    return render_report(build_report(assessment), "pdf")


def test_no_secret_reaches_either_report(html, pdf_markup):
    for markup in (html, pdf_markup):
        assert SECRET not in markup
    assert "AKIA…MPLE" in html and "hmac-sha256:" + "ab" * 16 in html and "age days: 412" in html


def test_every_value_is_escaped(html, pdf_markup):
    for markup in (html, pdf_markup):
        assert '<script>alert("x")' not in markup
        assert "&lt;script&gt;alert(" in markup
        assert "Bad &lt;b&gt;bold&lt;/b&gt; message" in markup


def test_html_is_self_contained(html):
    assert "<link" not in html and " src=" not in html and "@import" not in html
    # the only absolute URL is the SVG namespace, which is an identifier, never fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert html.count("<script>") == 1  # the sorting/filtering script, inline
    assert html.count("<svg") == 2


def test_pdf_lists_the_worst_findings_up_to_the_cap_and_html_lists_all(assessment):
    assessment = assessment.model_copy(deep=True)
    assessment.config = {"report": {"pdf_findings_per_control": 5}}
    report = build_report(assessment)
    control = max(report.controls, key=lambda c: len(c.failing))
    assert len(control.failing) > 5
    severities = [f.severity.rank for f in control.failing]
    assert severities == sorted(severities, reverse=True)

    pdf = unmarked(render_report(report, "pdf"))
    html = unmarked(render_report(report, "html"))
    start = pdf.index(f'id="{control.anchor}"')
    section = pdf[start:pdf.index("</section>", start)]
    listed = [f for f in control.failing if f.resource.arn in section]
    assert listed == control.failing[:5]
    assert f"The 5 most severe of {len(control.failing)} failing resources are listed" in section
    assert "findings.csv" in section
    for f in control.failing:
        assert f.resource.arn in html


def test_sections_show_waivers_comparison_errors_parameters_and_accounts(assessment, html):
    for heading in ("Accepted risks", "Waivers in the configuration", "Changes since the previous assessment",
                    "What could not be assessed", "Status by account", "Sign-off", "Evidence index"):
        assert heading in html
    for state in ("Active", "Expired", "Stale"):
        assert f">{state}</span>" in html
    assert "Compensating control in place until the Q3 migration." in html  # a waived finding's justification
    assert "AccessDenied" in html and "ec2:DescribeThings" in html
    assert assessment.comparison.previous_run_id in html
    by_id = {f.id: f for f in assessment.findings}
    for fid in assessment.comparison.new_failures:
        assert by_id[fid].resource.arn in html
    for account in assessment.scope.accounts:
        assert account in html
    assert "Jane Doe" in html and "John Roe" in html


def test_odp_ids_or_tool_defined_are_shown(assessment):
    report = build_report(assessment)
    pdf = render_report(report, "pdf")
    with_params = [c for c in report.controls if c.result.parameters]
    assert with_params
    for c in with_params:
        for p in c.result.parameters.values():
            assert (p.odp_id or "tool-defined") in pdf


def test_fix_first_orders_by_severity_then_count(assessment):
    fix = build_report(assessment).fix_first
    keys = [(-x.severity.rank, -x.count) for x in fix]
    assert keys == sorted(keys) and 0 < len(fix) <= 5


def test_fix_first_is_titled_by_the_problem_and_remediation_shows_code(assessment):
    """A list of things to fix titled "resources meet rule 3" reads as if nothing were wrong; and a reader
    should never see the backticks remediation text quotes its literals with."""
    report = build_report(assessment)
    pdf = render_report(report, "pdf")
    section = pdf[pdf.index('id="fix-first"'):pdf.index('id="at-a-glance"')]
    for x in report.fix_first:
        assert f"<strong>{x.check.problem}</strong>" in section
        assert f"<strong>{x.check.title}</strong>" not in section
    assert "<code>limit_" in section and "`" not in section


def test_each_checks_failing_resources_are_headed_by_its_problem(assessment):
    """Under "Failing resources", a heading that states the rule met ("Access keys are rotated") above a list of
    keys that are not reads backwards: each group is headed by what fails."""
    import re

    report = build_report(assessment)
    rows = [row for c in report.controls for row, _ in c.failing_groups(None)]
    assert rows and all(row.info is not None and row.info.problem for row in rows)
    for medium in ("pdf", "html"):
        heads = re.findall(r'<div class="check-group">\s*<h4 class="check-head">(.*?)</h4>',
                           render_report(report, medium), re.S)
        assert heads, medium
        for head in heads:
            assert any(row.info.problem in head for row in rows), (medium, head)
            assert not any(row.summary.title in head for row in rows), (medium, head)


def test_a_failed_read_says_what_was_not_read_and_why():
    from auditpack.models import CollectionError

    def reason(code: str) -> str:
        return CollectionError(account="1", region="eu-west-1", service="kms", operation="ListKeys",
                               error_code=code, message="m", resource_type="kms.keys").reason

    assert reason("AccessDeniedException").startswith("kms:ListKeys could not be read in eu-west-1: access was denied")
    assert "the scanning role needs kms:ListKeys" in reason("AccessDenied")
    assert "does not offer this operation" in reason("404")
    assert "throttling" in reason("ThrottlingException")
    assert "region may not be enabled" in reason("OptInRequired")
    assert reason("SomethingNew").endswith("the service answered SomethingNew")


def test_controls_follow_nist_order(assessment):
    ids = [c.result.id for c in build_report(assessment.model_copy(update={"controls": list(
        reversed(assessment.controls))})).controls]
    assert ids == sorted(ids, key=lambda i: (i.split("-")[0], int(re.findall(r"\d+", i)[0]), i))


def test_charts_are_valid_svg_with_every_figure_as_text():
    donut = charts.donut([charts.Slice("Satisfied <ok>", 3, "#0f0"), charts.Slice("Not", 0, "#f00")],
                         title="Controls & more", center_label="controls")
    root = ET.fromstring(donut)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Satisfied <ok>" in texts and "3" in texts and "0" in texts
    assert root.find("{http://www.w3.org/2000/svg}circle") is not None  # one slice takes the whole ring
    bars = ET.fromstring(charts.bars([charts.Slice("High", 0, "#f00")], title="t"))
    assert [t.text for t in bars.iter("{http://www.w3.org/2000/svg}text")] == ["High", "0"]


def test_unknown_medium_is_refused(assessment):
    with pytest.raises(ValueError):
        render_report(build_report(assessment), "docx")


def test_every_report_template_ships_in_the_wheel():
    """reports/ is package data: a template or stylesheet not matched by pyproject's globs would be missing when
    auditpack is installed from a wheel, and the report would fail only there."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "auditpack.reports"]
    for path in (root / "reports").iterdir():
        if path.is_file() and path.suffix != ".py":
            assert any(fnmatch.fnmatch(path.name, g) for g in globs), path.name


def test_an_assessment_with_nothing_in_it_still_renders(assessment):
    empty = assessment.model_copy(update={"controls": [], "findings": [], "checks": [], "errors": [],
                                          "waivers": [], "comparison": None})
    for medium in ("html", "pdf"):
        markup = render_report(build_report(empty), medium)
        assert "0 of 0 controls satisfied" in markup
        assert "No check failed: there is nothing to fix." in markup
        assert "Every check was evaluated in every account and region in scope." in markup


def test_pdf_evidence_is_counted_by_call_and_html_lists_every_file(tmp_path):
    """The PDF says which calls each check and each account/region folder rest on, with counts; the files
    themselves, with digests, are in report.html (and the PDF's embedded list, tested with the PDF)."""
    pack = tmp_path / "pack"
    a = synthetic_assessment(findings=50, controls=3, checks=3, accounts=2, pack=pack)
    report = build_report(a, evidence=evidence_in(pack))
    assert len(report.evidence) > 10
    folders = report.evidence_folders
    assert sum(f.files for f in folders) == len(report.evidence)
    assert sum(n for f in folders for _, n in f.calls) == len(report.evidence)
    pdf = render_report(report, "pdf")
    for folder in folders:
        for call, n in folder.calls:
            assert f"{call} \N{MULTIPLICATION SIGN}{n}" in pdf if n > 1 else call in pdf
    assert not any(e.sha256 in pdf for e in report.evidence)
    html = render_report(report, "html")
    assert all(e.sha256 in html for e in report.evidence)


def test_identifiers_break_only_after_separators_and_copy_unchanged():
    from auditpack.render.report import _break_after

    arn = "arn:aws:lambda:eu-west-1:123456789012:function:pay-api-prod"
    for medium, mark in (("pdf", "\u200b"), ("html", "<wbr>")):
        out = str(_break_after(arn, ":/", medium))
        pieces = out.split(mark)
        assert re.sub(r"<[^>]+>", "", "".join(pieces)) == arn
        assert '<span class="whole">eu-west-1:</span>' in pieces and "123456789012:" in pieces
        assert '<span class="whole">pay-api-prod</span>' in pieces
    long_name = "x-" * 30
    assert '<span class="long">' in str(_break_after(f"arn:aws:s3:::{long_name}", ":/", "pdf"))
    assert str(_break_after("a<b>:c", ":/", "pdf")) == "a&lt;b&gt;:\u200bc"


def _instance_finding(check_id: str, name: str, status: Status) -> object:
    from auditpack.models import Finding, Severity

    arn = f"arn:aws:ec2:us-east-1:123456789012:instance/{name}"
    return Finding(id=f"{check_id}-{name}", check_id=check_id, status=status, severity=Severity.HIGH,
                   resource=ResourceRef(arn=arn, type="AWS::EC2::Instance", name=name), region="us-east-1",
                   account="123456789012", control_ids=["IA-5(7)"], message="m", remediation="r")


def test_workload_credentials_say_role_or_key_once_per_instance():
    from auditpack.render.report import workload_credentials

    findings = [
        _instance_finding("ec2_instance_profile_attached", "good", Status.PASS),
        _instance_finding("ec2_user_data_no_secrets", "good", Status.PASS),
        _instance_finding("ec2_instance_profile_attached", "keyed", Status.FAIL),
        _instance_finding("ec2_user_data_no_secrets", "keyed", Status.FAIL),
        _instance_finding("ec2_instance_profile_attached", "both", Status.PASS),
        _instance_finding("ec2_user_data_no_secrets", "both", Status.FAIL),
        _instance_finding("ec2_instance_profile_attached", "unseen", Status.FAIL),
    ]
    lines = {w.name: w for w in workload_credentials(findings)}
    assert len(lines) == 4
    assert lines["good"].sentence.startswith("uses short-lived role credentials") and not lines["good"].uses_static_key
    assert "runs on a long-lived key instead of a role" in lines["keyed"].sentence
    assert lines["both"].sentence.startswith("has a role, yet its user data holds a static credential")
    assert "could not be examined" in lines["unseen"].sentence
    assert [w.name for w in workload_credentials(findings)] == ["keyed", "both", "unseen", "good"]


def test_summary_sentences_are_separated(assessment):
    """The not-assessed and waiver sentences are optional blocks; the first still ends with a space."""
    from auditpack.models import ControlStatus

    controls = [assessment.controls[0].model_copy(update={"status": ControlStatus.NOT_ASSESSED}),
                *assessment.controls[1:]]
    html = render_report(build_report(assessment.model_copy(update={"controls": controls})), "html")
    assert any(f.status == Status.WAIVED for f in assessment.findings)
    assert re.search(r"what could not be assessed</a>\)\. \d+ failing results? (is|are) accepted", html)
