"""``report.pdf``: the same report, paginated by WeasyPrint as PDF/A-3b, for the auditor to file and sign.

It carries the assessment inside it (``auditpack.render.pdfa``): assessment.json and the OSCAL results as
embedded data files, and the digest list of every file written before it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from auditpack.models import Assessment
from auditpack.render import RenderContext, output
from auditpack.render.formats.html import report_for
from auditpack.render.pdfa import (
    DIGEST_LIST,
    VARIANT,
    Embedded,
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
    """The markup now, from the assessment; its layout last (``RenderContext.last``): laying out a large
    account's report takes more memory than anything else, and needs none of the findings."""
    path = ctx.pack / FILENAME
    embedded = embedded_files(ctx.pack, ctx.evidence_files(), FILENAME)
    digests = next(f for f in embedded if f.name == DIGEST_LIST)
    listed = (digests.text or "").encode("utf-8")
    pinned = PinnedDigests(DIGEST_LIST, hashlib.sha256(listed).hexdigest(), listed.count(b"\n"))
    markup = render_report(replace(report_for(assessment, ctx), pinned=pinned), "pdf")
    layout = Layout(path, markup, embedded, xmp_extension(assessment), assessment.run.finished_at)
    ctx.last(f"Laying out {FILENAME}", layout.write)
    return [path]


@dataclass(frozen=True)
class Layout:
    """Everything the PDF needs once its markup is made, and nothing of the assessment."""

    path: Path
    markup: str
    embedded: list[Embedded]
    xmp: bytes
    when: datetime

    def write(self) -> None:
        from weasyprint import HTML, Attachment  # slow to import; only the PDF needs it

        # base_url is the pack, so nothing outside it can be referenced; the markup has no external resources.
        document = HTML(string=self.markup, base_url=str(self.path.parent)).render(pdf_variant=VARIANT)
        document.metadata.attachments = [
            Attachment(string=attachment_source(f), name=f.name, description=f.description, created=self.when,
                       modified=self.when, relationship=f.relationship)
            for f in self.embedded]
        document.metadata.xmp_metadata = [self.xmp]
        document.write_pdf(self.path, pdf_variant=VARIANT, finisher=EmbeddedFiles(self.embedded))
