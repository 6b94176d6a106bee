"""``report.pdf``: the same report, paginated by WeasyPrint as PDF/A-3b, for the auditor to file and sign.

It carries the assessment inside it (``auditpack.render.pdfa``): assessment.json and the OSCAL results as
embedded data files, and the digest list of every file written before it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from auditpack.models import Assessment
from auditpack.render import RenderContext, output
from auditpack.render.formats.html import report_for
from auditpack.render.pdfa import (
    DIGEST_LIST,
    VARIANT,
    EmbeddedFiles,
    attachment_source,
    embedded_files,
    xmp_extension,
)
from auditpack.render.report import PinnedDigests, render_report

FILENAME = "report.pdf"


@output("pdf", description="report.pdf: the assessment report for the auditor (WeasyPrint, PDF/A-3b)",
        files=(FILENAME,), order=90)
def write_pdf(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    from weasyprint import HTML, Attachment  # slow to import; only the PDF needs it

    path = ctx.pack / FILENAME
    embedded = embedded_files(ctx.pack, ctx.evidence_files(), FILENAME)
    digests = next(f for f in embedded if f.name == DIGEST_LIST)
    listed = (digests.text or "").encode("utf-8")
    pinned = PinnedDigests(DIGEST_LIST, hashlib.sha256(listed).hexdigest(), listed.count(b"\n"))
    markup = render_report(replace(report_for(assessment, ctx), pinned=pinned), "pdf")
    # base_url is the pack, so nothing outside it can be referenced; the markup has no external resources.
    document = HTML(string=markup, base_url=str(ctx.pack)).render(pdf_variant=VARIANT)
    when = assessment.run.finished_at
    document.metadata.attachments = []
    for f in embedded:
        document.metadata.attachments.append(Attachment(string=attachment_source(f), name=f.name,
                                                        description=f.description, created=when, modified=when,
                                                        relationship=f.relationship))
    document.metadata.xmp_metadata = [xmp_extension(assessment)]
    document.write_pdf(path, pdf_variant=VARIANT, finisher=EmbeddedFiles(embedded))
    return [path]
