"""``report.pdf``: the same report, paginated by WeasyPrint as PDF/A-3b, for the auditor to file and sign.

It carries the assessment inside it (``auditpack.render.pdfa``): assessment.json and the OSCAL results as
embedded data files, and the digest list of every file written before it.
"""

from __future__ import annotations

import functools
import hashlib
import re
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

# Rules of WeasyPrint's user-agent stylesheet for pseudo-elements this report never has (it has no footnotes or
# notes), and its rule for list markers, which the report's list items alone need. Each of them matches every
# element, so WeasyPrint computes a style for each on every element: six styles per element that nothing reads,
# most of the layout's memory at a large account (docs/performance.md).
UNUSED_PSEUDO_RULES = re.compile(r"^::(?:footnote|note)-[a-z-]+ \{[^}\n]*\}\n", re.MULTILINE)
EVERY_MARKER = re.compile(r"^::marker \{", re.MULTILINE)
LIST_ITEM_MARKER = "li::marker {"


def report_user_agent_sheet(ua: str) -> str:
    """WeasyPrint's user-agent stylesheet ``ua``, less what the report never uses; a ``ValueError`` if the
    rules to leave out are not all there, as they are in the WeasyPrint this is tested with."""
    kept, dropped = UNUSED_PSEUDO_RULES.subn("", ua)
    kept, markers = EVERY_MARKER.subn(LIST_ITEM_MARKER, kept)
    if (dropped, markers) != (5, 1):
        raise ValueError(f"WeasyPrint's user-agent stylesheet has changed: {dropped} note rules, {markers} marker")
    return kept


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
        from weasyprint import Attachment  # slow to import; only the PDF needs it

        # base_url is the pack, so nothing outside it can be referenced; the markup has no external resources.
        document = report_html()(string=self.markup, base_url=str(self.path.parent)).render(pdf_variant=VARIANT)
        document.metadata.attachments = [
            Attachment(string=attachment_source(f), name=f.name, description=f.description, created=self.when,
                       modified=self.when, relationship=f.relationship)
            for f in self.embedded]
        document.metadata.xmp_metadata = [self.xmp]
        document.write_pdf(self.path, pdf_variant=VARIANT, finisher=EmbeddedFiles(self.embedded))


@functools.cache
def report_html() -> type:
    """WeasyPrint's ``HTML`` with the report's user-agent stylesheet (``report_user_agent_sheet``).

    WeasyPrint has no option for its user-agent stylesheet; ``HTML._ua_stylesheets`` is where it takes it from,
    overridden here (``tests/test_report_pdf.py`` holds WeasyPrint to it). Forms never occur in the report."""
    from weasyprint import CSS, HTML
    from weasyprint.html import UA, UA_COUNTER_STYLE

    sheet = CSS(string=report_user_agent_sheet(UA), counter_style=UA_COUNTER_STYLE)

    class ReportHTML(HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
            return [sheet]

    return ReportHTML
