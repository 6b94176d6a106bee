"""``report.pdf``: the same report, paginated by WeasyPrint as PDF/A-3b, for the auditor to file and sign.

It carries the assessment inside it (``auditpack.render.pdfa``): assessment.json and the OSCAL results as
embedded data files, and the digest list of every file written before it.
"""

from __future__ import annotations

from pathlib import Path

from auditpack.memory import reclaim_cycles
from auditpack.models import Assessment
from auditpack.render import RenderContext, output
from auditpack.render.formats.html import report_for
from auditpack.render.pdfa import VARIANT, embedded_files, unique_associated_files, xmp_extension
from auditpack.render.report import render_report

FILENAME = "report.pdf"


@output("pdf", description="report.pdf: the assessment report for the auditor (WeasyPrint, PDF/A-3b)",
        files=(FILENAME,), order=90)
def write_pdf(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    from weasyprint import HTML, Attachment  # slow to import; only the PDF needs it

    path = ctx.pack / FILENAME
    markup = render_report(report_for(assessment, ctx), "pdf")
    reclaim_cycles()  # WeasyPrint's layout is the full pack's peak: let it reuse what earlier stages left
    # base_url is the pack, so nothing outside it can be referenced; the markup has no external resources.
    document = HTML(string=markup, base_url=str(ctx.pack)).render(pdf_variant=VARIANT)
    when = assessment.run.finished_at
    document.metadata.attachments = []
    for f in embedded_files(ctx.pack, ctx.evidence_files(), FILENAME):
        source = {"filename": f.path} if f.path is not None else {"string": f.text}
        document.metadata.attachments.append(Attachment(**source, name=f.name, description=f.description,
                                                        created=when, modified=when, relationship=f.relationship))
    document.metadata.xmp_metadata = [xmp_extension(assessment)]
    document.write_pdf(path, pdf_variant=VARIANT, finisher=unique_associated_files)
    return [path]
