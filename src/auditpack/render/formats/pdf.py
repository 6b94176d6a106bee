"""``report.pdf``: the same report, paginated by WeasyPrint, for the auditor to file and sign."""

from __future__ import annotations

from pathlib import Path

from auditpack.memory import reclaim_cycles
from auditpack.models import Assessment
from auditpack.render import RenderContext, output
from auditpack.render.formats.html import report_for
from auditpack.render.report import render_report

FILENAME = "report.pdf"


@output("pdf", description="report.pdf: the assessment report for the auditor (WeasyPrint)",
        files=(FILENAME,), order=90)
def write_pdf(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    from weasyprint import HTML  # slow to import; only the PDF needs it

    path = ctx.pack / FILENAME
    markup = render_report(report_for(assessment, ctx), "pdf")
    reclaim_cycles()  # WeasyPrint's layout is the full pack's peak: let it reuse what earlier stages left
    # base_url is the pack, so nothing outside it can be referenced; the markup has no external resources.
    HTML(string=markup, base_url=str(ctx.pack)).write_pdf(path)
    return [path]
