"""Benchmark: render report.html and report.pdf for a synthetic assessment of 10,000 findings.

Target (the performance issue, 18): HTML + PDF in 8 s or less on the project's 2-core machine (issue 5 set
30 s). Run from the repository:
``.venv/bin/python bench/report_render.py [--findings N] [--keep DIR]``. Figures go into docs/report.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from auditpack.emulator.synthetic import synthetic_assessment
from auditpack.library.config import Config
from auditpack.pack.lifecycle import PackBuilder
from auditpack.pack.verify import verify
from auditpack.render import RenderContext
from auditpack.render.formats.assessment_json import write_assessment
from auditpack.render.formats.html import write_html
from auditpack.render.formats.pdf import write_pdf

TARGET_SECONDS = 8.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--controls", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="write the pack here instead of a temporary folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        builder = PackBuilder(args.keep or Path(tmp) / "pack")
        pack = builder.path
        t0 = time.perf_counter()
        assessment = synthetic_assessment(findings=args.findings, controls=args.controls, pack=pack)
        ctx = RenderContext(pack=pack, config=Config(), evidence=builder.evidence())
        write_assessment(assessment, ctx)
        t1, c1 = time.perf_counter(), time.process_time()
        write_html(assessment, ctx)
        t2, c2 = time.perf_counter(), time.process_time()
        write_pdf(assessment, ctx)
        t3, c3 = time.perf_counter(), time.process_time()
        builder.seal(assessment, sealed_by="bench")
        pack = builder.publish()
        t4 = time.perf_counter()
        intact = verify(pack).intact
        t5 = time.perf_counter()

        html_s, pdf_s = t2 - t1, t3 - t2
        failing = sum(1 for f in assessment.findings if f.status == "fail")
        evidence = sum(1 for _ in (pack / "evidence").rglob("*.json"))
        from pypdf import PdfReader  # dev dependency, only to count pages

        pages = len(PdfReader(pack / "report.pdf").pages)
        print(f"assessment: {len(assessment.findings)} findings ({failing} failing), {len(assessment.controls)} "
              f"controls, {len(assessment.checks)} checks, {len(assessment.scope.accounts)} accounts, "
              f"{evidence} evidence files (built in {t1 - t0:.2f} s)")
        html_mb = (pack / "report.html").stat().st_size / 1e6
        pdf_mb = (pack / "report.pdf").stat().st_size / 1e6
        print(f"report.html: {html_s:6.2f} s wall {c2 - c1:6.2f} s CPU  {html_mb:5.2f} MB")
        print(f"report.pdf:  {pdf_s:6.2f} s wall {c3 - c2:6.2f} s CPU  {pdf_mb:5.2f} MB  {pages} pages")
        print(f"HTML + PDF:  {html_s + pdf_s:6.2f} s wall {c3 - c1:6.2f} s CPU  (target <= {TARGET_SECONDS:.0f} s)")
        print(f"load average while running: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
              "(other work on the machine stretches wall time, not CPU time)")
        print(f"seal: {t4 - t3:.2f} s  verify: {t5 - t4:.2f} s  intact: {intact}")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        return 0 if html_s + pdf_s <= TARGET_SECONDS and intact else 1


if __name__ == "__main__":
    sys.exit(main())
