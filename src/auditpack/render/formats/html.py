"""``report.html``: the assessment report for a browser, self-contained (styles, charts and script inline)."""

from __future__ import annotations

from pathlib import Path

from auditpack.models import Assessment
from auditpack.render import RenderContext, output
from auditpack.render.report import Report, build_report, render_report_pieces

FILENAME = "report.html"


def report_for(assessment: Assessment, ctx: RenderContext) -> Report:
    """Build the report's content once per render; the PDF writer, which runs after, reuses it."""
    cached = ctx.extras.get("report")
    if isinstance(cached, Report) and cached.assessment is assessment:
        return cached
    report = build_report(assessment, ctx.config, ctx.evidence_files())
    ctx.extras["report"] = report
    return report


@output("html", description="report.html: the assessment report, self-contained, with sortable tables",
        files=(FILENAME,), order=80)
def write_html(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    path = ctx.pack / FILENAME
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(render_report_pieces(report_for(assessment, ctx), "html"))
    return [path]
