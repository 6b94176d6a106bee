"""Layout faults of a rendered report.pdf, read back with poppler's ``pdftotext -bbox-layout``.

A reader meets three faults no text search sees: words printed over each other, a heading stranded at the
foot of a page away from what it heads, and a page holding a few spilled lines. These functions find them
from word and block boxes, so a test can assert there are none on any document, whatever its content.
Headings come from ``report.html``, rendered from the same view model by the same template.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree

XHTML = "{http://www.w3.org/1999/xhtml}"
# The page margins of reports/print.css (points): the running header and footer live there, not the body.
TOP_MARGIN, BOTTOM_MARGIN = 20 * 72 / 25.4, 18 * 72 / 25.4
MIN_FILL = 0.25
# Below this a page holds a fragment: a row or two of a table, or the last lines of a list, torn from the rest.
FRAGMENT = 0.10


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    def overlap(self, other: Box) -> float:
        """The shared area as a fraction of the smaller box (touching boxes share nothing)."""
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        if w <= 0 or h <= 0:
            return 0.0
        smaller = min((self.x1 - self.x0) * (self.y1 - self.y0), (other.x1 - other.x0) * (other.y1 - other.y0))
        return w * h / smaller if smaller > 0 else 0.0


@dataclass
class Page:
    number: int
    height: float
    words: list[Box]
    blocks: list[Box]  # body blocks only (running header and footer left out), top to bottom
    lines: list[list[str]]  # each block's lines, as text

    @property
    def fill(self) -> float:
        """How much of the body's height the text spans."""
        if not self.blocks:
            return 0.0
        body = self.height - TOP_MARGIN - BOTTOM_MARGIN
        return (max(b.y1 for b in self.blocks) - min(b.y0 for b in self.blocks)) / body


def pdftotext_available() -> bool:
    return shutil.which("pdftotext") is not None


def read_pages(pdf: Path) -> list[Page]:
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    root = ElementTree.fromstring(out)
    pages = []
    for n, page in enumerate(root.iter(f"{XHTML}page"), start=1):
        height = float(page.get("height", "792"))
        words = [_box(w, w.text or "") for w in page.iter(f"{XHTML}word")]
        blocks, lines = [], []
        for block in page.iter(f"{XHTML}block"):
            lines.append([" ".join(w.text or "" for w in line.iter(f"{XHTML}word"))
                          for line in block.iter(f"{XHTML}line")])
            text = " ".join(w.text or "" for w in block.iter(f"{XHTML}word"))
            box = _box(block, text)
            if box.y1 > TOP_MARGIN and box.y0 < height - BOTTOM_MARGIN:
                blocks.append(box)
        blocks.sort(key=lambda b: (b.y0, b.x0))
        pages.append(Page(n, height, words, blocks, lines))
    return pages


def _box(element: ElementTree.Element, text: str) -> Box:
    return Box(*(float(element.get(k, "0")) for k in ("xMin", "yMin", "xMax", "yMax")), text=text)


def overlapping_words(pages: list[Page], tolerance: float = 0.15) -> list[str]:
    """Pairs of words on one page whose boxes share more than ``tolerance`` of the smaller one."""
    found = []
    for page in pages:
        words = sorted(page.words, key=lambda w: w.y0)
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                if b.y0 >= a.y1:
                    break
                if a.overlap(b) > tolerance:
                    found.append(f"page {page.number}: {a.text!r} and {b.text!r} overlap")
    return found


class _Headings(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, bool]] = []  # text, starts a section on a new page
        self._open: tuple[str, bool] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-4]", tag):
            classes = (dict(attrs).get("class") or "").split()
            self._open, self._text = (tag, tag == "h1" or "control-title" in classes), []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            self.headings.append((normal("".join(self._text)), self._open[1]))
            self._open = None


def headings_of(html: Path) -> list[tuple[str, bool]]:
    parser = _Headings()
    parser.feed(html.read_text(encoding="utf-8"))
    return [h for h in parser.headings if h[0]]


def normal(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _is_heading(text: str, headings: set[str]) -> bool:
    """A block is a heading when its text is one, or begins one that wrapped onto the next page."""
    t = normal(text)
    return any(h == t or (len(t) >= 12 and h.startswith(t)) for h in headings)


def stranded_headings(pages: list[Page], headings: list[tuple[str, bool]]) -> list[str]:
    """Pages whose last body block is a heading: what it heads went to the next page."""
    texts = {text for text, _ in headings}
    return [f"page {p.number}: ends with the heading {p.blocks[-1].text!r}" for p in pages
            if p.blocks and _is_heading(p.blocks[-1].text, texts)]


def underfilled_pages(pages: list[Page], headings: list[tuple[str, bool]]) -> list[str]:
    """Pages with under a quarter of text that are not the last of a section (the next page starts one)."""
    starts = {text for text, new_page in headings if new_page}
    found = []
    for page, following in pairwise(pages):
        if page.fill >= MIN_FILL:
            continue
        if following.blocks and _is_heading(following.blocks[0].text, starts):
            continue
        found.append(f"page {page.number}: {page.fill:.0%} filled, and page {following.number} continues it")
    return found


def torn_fragments(pages: list[Page], headings: list[tuple[str, bool]]) -> list[str]:
    """Pages (the document's last aside) holding a few lines that do not begin with a heading: the spilled
    end of a table or list, even where it is the last page of its section."""
    texts = {text for text, _ in headings}
    return [f"page {p.number}: holds only a {p.fill:.0%} fragment beginning {p.blocks[0].text[:40]!r}"
            for p in pages[:-1] if p.blocks and p.fill < FRAGMENT and not _is_heading(p.blocks[0].text, texts)]


def broken_identifiers(pages: list[Page]) -> list[str]:
    """Lines that end inside an account id (``:1234`` / ``56789012:``) or at a hyphen of an ARN: an ARN may
    break only after ``:`` and ``/``."""
    found = []
    for page in pages:
        for block in page.lines:
            for i, (line, following) in enumerate(pairwise(block)):
                last, first = (line.split() or [""])[-1], (following.split() or [""])[0]
                after_colon = i > 0 and block[i - 1].endswith(":") and re.fullmatch(r"\d{1,11}", line.strip())
                if (re.search(r":\d{1,11}$", last) or after_colon) and re.match(r"\d", first):
                    found.append(f"page {page.number}: an account id broken: {last!r} / {first!r}")
                elif last.endswith("-") and "arn:" in last:
                    found.append(f"page {page.number}: an ARN broken at a hyphen: {last!r} / {first!r}")
    return found


def layout_faults(pdf: Path, html: Path) -> list[str]:
    pages = read_pages(pdf)
    headings = headings_of(html)
    return (overlapping_words(pages) + stranded_headings(pages, headings) + underfilled_pages(pages, headings)
            + torn_fragments(pages, headings) + broken_identifiers(pages))
