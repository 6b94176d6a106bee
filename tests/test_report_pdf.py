"""The auditor's PDF, read back as text: a seeded scan's cover facts, every control's status and every failing
resource are there, on the page the control's bookmark points to; report.html says the same."""

from __future__ import annotations

import re
from hashlib import sha256
from pathlib import Path

from pypdf import PdfReader

from auditpack.emulator.seeding.monitoring import seed_logging
from auditpack.render.pdfa import DIGEST_LIST
from auditpack.render.report import CONTROL_STATUS_LABEL
from tests.helpers import load_assessment, run_cli


def flat(text: str) -> str:
    """Extracted text with line breaks and runs of spaces folded, as a reader would read it; a line may break
    after a hyphen ("single-" / "region"), so space after a hyphen is dropped on both sides of a comparison."""
    return re.sub(r"-\s+", "-", re.sub(r"\s+", " ", text)).strip()


def bookmarks(reader: PdfReader) -> dict[str, int]:
    """Bookmark title -> page index, over the whole outline tree."""
    found: dict[str, int] = {}

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found[flat(item.title)] = reader.get_destination_page_number(item)

    walk(reader.outline)
    return found


def test_pdf_of_a_seeded_scan_shows_cover_facts_statuses_and_every_failing_resource(aws, out_dir, capsys):
    seed_logging("us-east-1", guardduty_regions=("us-east-1",))
    result = run_cli(capsys, "scan", "--region", "us-east-1", "--region", "us-west-2", "--out", str(out_dir),
                     "--quiet", "--format", "html,pdf")
    assert result.code == 1, result.stderr
    assessment = load_assessment(out_dir)
    reader = PdfReader(out_dir / "report.pdf")
    pages = [flat(p.extract_text()) for p in reader.pages]

    cover = pages[0]
    run = assessment["run"]
    for fact in ("123456789012", "us-east-1, us-west-2", run["id"], assessment["scope"]["identity"]["arn"],
                 f"auditpack {assessment['tool']['version']}", run["finished_at"][:10]):
        assert fact in cover, fact
    assert "Page" not in cover  # the cover has no running header or footer
    assert re.search(r"Page 3 of \d+", pages[2])
    assert "Account 123456789012" in pages[2]  # running header

    marks = bookmarks(reader)
    for chapter in ("Executive summary", "Scope and method", "Control assessments", "Accepted risks",
                    "Status by account", "Evidence index", "Sign-off"):
        assert any(title.endswith(chapter) for title in marks), chapter

    failing = [f for f in assessment["findings"] if f["status"] == "fail"]
    assert failing
    for control in assessment["controls"]:
        title = f"{control['id']} {control['title']}"
        start = marks[title]
        later = [p for p in marks.values() if p > start]
        section = " ".join(pages[start:min(later) if later else len(pages)])
        assert f"Status {CONTROL_STATUS_LABEL[control['status']]}" in section, title
        for check in control["check_results"]:
            assert check["check_id"] in section
        for finding in (f for f in failing if control["id"] in f["control_ids"]):
            assert finding["resource"]["name"] in section, (title, finding["id"])
            assert flat(finding["message"]) in section, (title, finding["message"])
            assert flat(finding["remediation"]) in section

    start = marks[next(t for t in marks if t.endswith("Evidence index"))]
    after = [p for p in marks.values() if p > start]
    index = " ".join(pages[start:min(after) if after else len(pages)]).replace("\u200b", "")  # may span pages
    embedded = reader.attachments[DIGEST_LIST][0]
    assert sha256(embedded).hexdigest() in index, "the printed digest pins the embedded list"
    for path in (out_dir / "evidence").rglob("*.json"):
        rel = path.relative_to(out_dir).as_posix()
        assert f"{sha256(path.read_bytes()).hexdigest()}  {rel}" in embedded.decode(), rel
        service, operation = rel.split("/")[3], path.stem.rsplit("-", 1)[0]
        assert f"{service} {operation}" in index, rel

    for page in reader.pages:  # links stay inside the document: no file:// path of the machine that rendered it
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            assert action is None or "/URI" not in action, action

    html = (out_dir / "report.html").read_text()
    for finding in failing:
        assert finding["resource"]["name"] in html
    assert "<script src" not in html and "<link" not in html  # self-contained


def test_contents_page_numbers_point_at_the_sections(aws, out_dir, capsys):
    seed_logging("us-east-1")
    run_cli(capsys, "scan", "--region", "us-east-1", "--out", str(out_dir), "--quiet", "--format", "pdf",
            "--control", "AU-9", "--control", "SI-4")
    reader = PdfReader(out_dir / "report.pdf")
    contents = flat(reader.pages[1].extract_text())
    marks = bookmarks(reader)
    for title in ("AU-9 Protection of Audit Information", "SI-4 System Monitoring"):
        assert re.search(re.escape(title) + r"[ .]*" + str(marks[title] + 1) + r"\b", contents), title


def test_report_pdf_is_listed_in_the_manifest_as_made_by_the_pdf_writer(aws, out_dir, capsys):
    import json

    seed_logging("us-east-1")
    run_cli(capsys, "scan", "--region", "us-east-1", "--out", str(out_dir), "--quiet", "--format", "html,pdf",
            "--control", "AU-9")
    manifest = json.loads((out_dir / "manifest.json").read_text())
    by_path = {f["path"]: f for f in manifest["files"]}
    assert by_path["report.pdf"]["produced_by"] == "output:pdf"
    assert by_path["report.pdf"]["media_type"] == "application/pdf"
    assert by_path["report.html"]["produced_by"] == "output:html"
    assert by_path["assessment.json"]["produced_by"] == "output:json"
    evidence = [p for p in by_path if p.startswith("evidence/")]
    assert evidence and all(by_path[p]["produced_by"].startswith("collector") for p in evidence)
    assert by_path["report.pdf"]["size"] == Path(out_dir / "report.pdf").stat().st_size


def test_the_reports_user_agent_sheet_is_weasyprints_less_what_the_report_never_has():
    """Six styles per element nothing reads were most of a large report's layout memory; only the rules for
    footnotes and notes go, and list markers stay for list items."""
    import pytest
    from weasyprint.html import UA

    from auditpack.render.formats.pdf import report_user_agent_sheet

    sheet = report_user_agent_sheet(UA)
    gone = [line for line in UA.splitlines() if line not in sheet.splitlines()]
    assert len(gone) == 6 and all(line.startswith(("::footnote-", "::note-", "::marker {")) for line in gone)
    assert [line for line in sheet.splitlines() if line not in UA.splitlines()] == [
        next(line for line in gone if line.startswith("::marker")).replace("::marker", "li::marker")]
    with pytest.raises(ValueError, match="has changed"):
        report_user_agent_sheet(UA.replace("::note-callback", "aside::note-callback"))


def test_the_report_lays_out_with_that_sheet_and_list_items_keep_their_markers(tmp_path):
    from auditpack.render.formats.pdf import report_html

    document = report_html()(string="<ol><li>alpha</li><li>beta</li></ol><p>gamma</p>").render()
    document.write_pdf(tmp_path / "list.pdf")
    text = flat(PdfReader(tmp_path / "list.pdf").pages[0].extract_text())
    assert all(word in text.split() for word in ("1.", "2.", "alpha", "beta", "gamma")), text
