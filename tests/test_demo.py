"""The demo runs a whole quarter-over-quarter organization assessment offline, through the real CLI."""

from __future__ import annotations

import json
import re

from pypdf import PdfReader

from auditpack.emulator.seeding import secrets
from tests.helpers import load_assessment, run_cli
from tests.secretsearch import assert_never_written

# Every made-up secret the demo plants, and the shape of any access key id written whole (the leaked key, the
# key the bot created: random ids the test cannot know, so it looks for the class).
PLANTED = [v for k, v in vars(secrets).items() if k.isupper() and isinstance(v, str) and len(v) >= 16
           and k not in ("DOC_KEY_ID", "ROLE_POLICY")]
WHOLE_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")

# The secret sources issue 15 added: the demo plants a leak in each, and its report shows them under IA-5(7).
ISSUE_15_CHECKS = ("lambda_code_no_secrets", "lambda_layer_no_secrets", "ssm_document_no_secrets",
                   "batch_job_definition_no_secrets", "stepfunctions_definition_no_secrets", "glue_job_no_secrets",
                   "glue_connection_no_plaintext_password", "sagemaker_lifecycle_no_secrets",
                   "apigateway_stage_variables_no_secrets", "codebuild_source_no_credentials",
                   "elasticbeanstalk_env_no_secrets", "cloudformation_template_no_secrets",
                   "resource_tags_no_secrets", "s3_no_credential_files")


def test_demo_scans_an_emulated_organization_with_waivers_and_a_previous_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "demo", "--out", "auditpack-demo")

    assert result.code == 0, result.stderr
    assert "Evidence pack: auditpack-demo" in result.stderr
    assert re.search(r"Assessed \d+ controls in 2 accounts, 2 regions:", result.stderr)
    assessment = load_assessment(tmp_path / "auditpack-demo")
    assert len(assessment["scope"]["accounts"]) == 2 and assessment["scope"]["regions"] == ["us-east-1", "us-west-2"]
    assert {a for c in assessment["controls"] for a in c["accounts"]} == set(assessment["scope"]["accounts"])
    assert [w["state"] for w in assessment["waivers"]] == ["active", "expired", "stale"]
    assert any(f["status"] == "waived" for f in assessment["findings"])
    comparison = assessment["comparison"]
    # monitoring fixes GuardDuty and adds an unreviewed trail (2 failures); identity adds a console user without
    # MFA; the leaked key is used (its activity fails) and the user it created is an administrator, through a
    # policy attached to the user itself
    findings = {f["id"]: (f["check_id"], f["resource"]["name"]) for f in assessment["findings"]}
    new = {findings[i][0] for i in comparison["new_failures"]}
    assert len(comparison["resolved"]) == 1 and len(comparison["new_failures"]) == 6
    assert {"leaked_key_no_suspicious_activity", "iam_user_no_direct_admin", "iam_user_no_attached_policies"} <= new
    assert (tmp_path / "auditpack-demo-previous" / "assessment.json").is_file()
    ia_5_7 = next(c for c in assessment["controls"] if c["id"] == "IA-5(7)")
    failed = {r["check_id"]: r["failed"] for r in ia_5_7["check_results"]}
    assert all(failed.get(check, 0) >= 1 for check in ISSUE_15_CHECKS), failed
    from auditpack.render.report import anchor_for

    html = (tmp_path / "auditpack-demo" / "report.html").read_text()
    start = html.index(f'<section class="control" id="{anchor_for("IA-5(7)")}"')
    section = html[start:html.index("</section>", start)]
    assert all(f"<code>{check}</code>" in section for check in ISSUE_15_CHECKS), section[:2000]

    err = result.stderr
    # the terminal is never blank for long: seeding and last quarter's scan show their phases too
    for phase in ("Starting the AWS emulator", "Seeding last quarter's emulated Organization",
                  "Last quarter: Collecting", "Last quarter: Writing report.pdf", "Seeding this quarter's changes"):
        assert phase in err, phase
    assert "could not be evaluated" not in err, "the emulator answers every call the demo makes"
    closing = err[err.index("Demo pack written to auditpack-demo."):]
    assert "Open auditpack-demo/report.pdf or auditpack-demo/report.html" in closing
    assert "The scan's exit code was 1: at least one control is not satisfied." in closing
    assert "auditpack verify auditpack-demo" in closing

    incident_pack = tmp_path / "auditpack-demo-incident"
    assert "Incident pack: auditpack-demo-incident (verdict flagged" in result.stderr
    assert run_cli(capsys, "verify", str(incident_pack)).code == 0
    incident = json.loads((incident_pack / "incident.json").read_text())
    assert incident["owner"]["user"] == "ci-deployer" and incident["trail_logs"] == "s3://org-trail-logs"
    compute = [e for e in incident["timeline"] if e["flag"] == "compute-in-unused-region"]
    assert {e["region"] for e in compute} == {"ap-southeast-1"} and len(compute) == 2
    assert [f["name"] for f in incident["followed"] if f["kind"] == "user"] == ["backup-svc"]

    pdf_text = " ".join(page.extract_text() for pdf in sorted(tmp_path.rglob("*.pdf"))
                        for page in PdfReader(pdf).pages)  # their streams are compressed: search their text
    assert "Containment checklist" in pdf_text, "the incident PDF was read"
    assert_never_written(PLANTED, tmp_path, texts=[result.stdout, result.stderr, pdf_text])
    whole = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()
             and WHOLE_KEY_ID.search(p.read_bytes().decode("utf-8", "replace"))]
    assert not whole and not WHOLE_KEY_ID.search(result.stdout + result.stderr + pdf_text), whole
