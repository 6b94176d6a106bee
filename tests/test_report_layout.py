"""report.pdf laid out for a reader: no words printed over each other, no heading stranded at a page's foot,
no page of a few spilled lines, no identifier broken inside an account id; on the demo pack and on a large
synthetic one. Read back with poppler's pdftotext (tests/pdflayout.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpack.emulator.synthetic import synthetic_assessment
from auditpack.library.config import Config
from auditpack.pack.lifecycle import PackBuilder
from tests.helpers import run_cli
from tests.pdflayout import broken_identifiers, layout_faults, pdftotext_available, read_pages

pytestmark = pytest.mark.skipif(not pdftotext_available(),
                                reason="pdftotext (Debian package poppler-utils, installed by make test) is missing")


@pytest.fixture(scope="module")
def large_pack(tmp_path_factory) -> Path:
    with PackBuilder(tmp_path_factory.mktemp("layout") / "pack") as builder:
        assessment = synthetic_assessment(findings=1500, controls=14, checks=14, accounts=3, pack=builder.path)
        builder.write(assessment, Config(), ["html", "pdf"])
        builder.seal(assessment, sealed_by="test")
        return builder.publish()


def test_the_demo_reports_have_no_layout_fault(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "demo", "--out", "demo", "--quiet").code == 0
    pack = tmp_path / "demo"
    assert layout_faults(pack / "report.pdf", pack / "report.html") == []
    incident = tmp_path / "demo-incident"  # the responder's pack the demo writes beside it, same template family
    assert layout_faults(incident / "incident.pdf", incident / "incident.html") == []


def test_a_large_report_has_no_layout_fault(large_pack):
    assert len(read_pages(large_pack / "report.pdf")) > 30
    assert layout_faults(large_pack / "report.pdf", large_pack / "report.html") == []


def test_the_checker_sees_each_fault_it_looks_for(tmp_path):
    """The faults drawn on purpose: two words printed over each other, a heading left at the foot of a page,
    and a page of two spilled lines. A checker that found nothing here would prove nothing above."""
    from weasyprint import HTML

    filler = "<p>" + "text " * 60 + "</p>"
    html = ("<style>@page{size:letter;margin:20mm 17mm 18mm 17mm} .over{position:relative;top:-1.2em}</style>"
            "<h1>Start</h1><p>alpha</p><p class='over'>omega</p>" + filler * 17
            + "<h2>Stranded heading here</h2><div style='break-before:page'>" + filler * 3
            + "</div><div style='break-before:page'><p>two spilled</p><p>lines</p></div>"
            + "<h1 style='break-before:page'>Next</h1>" + filler)
    (tmp_path / "r.html").write_text(html)
    HTML(string=html).write_pdf(tmp_path / "r.pdf")
    faults = layout_faults(tmp_path / "r.pdf", tmp_path / "r.html")
    assert any("overlap" in f for f in faults), faults
    assert any("Stranded heading here" in f for f in faults), faults
    assert any("fragment" in f for f in faults), faults


def test_the_checker_sees_an_arn_broken_at_a_hyphen_or_inside_an_account_id(tmp_path):
    from weasyprint import HTML

    html = ("<div style='width:34mm;font-size:8pt'>arn:aws:ec2:us-east-1:123456789012:instance/i-0abc</div>"
            "<div style='width:12mm;font-size:8pt;overflow-wrap:anywhere'>x:123456789012</div>")
    (tmp_path / "r.html").write_text(html)
    HTML(string=html).write_pdf(tmp_path / "r.pdf")
    assert len(broken_identifiers(read_pages(tmp_path / "r.pdf"))) == 2
