"""Charts for the report, drawn on the server as SVG.

The same markup goes inline into report.html and through WeasyPrint into the PDF: no JavaScript, no fonts
or images to fetch, and every number is also written as text so that a reader (and a screen reader, and
text extraction) gets the figures without the picture. Markup is built with ElementTree, which escapes
every label, so a resource or control name can never inject markup.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
INK = "#1f2933"
MUTED = "#52606d"
TRACK = "#e4e7eb"


@dataclass(frozen=True)
class Slice:
    label: str
    value: int
    color: str


def _svg(width: int, height: int, title: str) -> ET.Element:
    root = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {width} {height}",
        "width": str(width),
        "height": str(height),
        "role": "img",
        "font-family": FONT,
    })
    ET.SubElement(root, "title").text = title
    return root


def _text(parent: ET.Element, x: float, y: float, text: str, *, size: int = 12, anchor: str = "start",
          weight: str = "normal", fill: str = INK) -> None:
    node = ET.SubElement(parent, "text", {
        "x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": str(size), "text-anchor": anchor,
        "font-weight": weight, "fill": fill,
    })
    node.text = text


def _arc(cx: float, cy: float, r_out: float, r_in: float, start: float, end: float) -> str:
    """Path of a ring segment between two angles (radians, clockwise from twelve o'clock)."""

    def point(r: float, a: float) -> tuple[float, float]:
        return cx + r * math.sin(a), cy - r * math.cos(a)

    large = 1 if end - start > math.pi else 0
    x1, y1 = point(r_out, start)
    x2, y2 = point(r_out, end)
    x3, y3 = point(r_in, end)
    x4, y4 = point(r_in, start)
    return (f"M {x1:.2f} {y1:.2f} A {r_out} {r_out} 0 {large} 1 {x2:.2f} {y2:.2f} "
            f"L {x3:.2f} {y3:.2f} A {r_in} {r_in} 0 {large} 0 {x4:.2f} {y4:.2f} Z")


def donut(slices: Sequence[Slice], *, title: str, center_label: str) -> str:
    """A ring of shares with the total in the middle and a legend of counts beside it."""
    width, height = 320, 160
    cx, cy, r_out, r_in = 78, 80, 70, 44
    root = _svg(width, height, title)
    total = sum(s.value for s in slices)
    if total == 0:
        ET.SubElement(root, "circle", {"cx": str(cx), "cy": str(cy), "r": str((r_out + r_in) / 2),
                                       "fill": "none", "stroke": TRACK, "stroke-width": str(r_out - r_in)})
    else:
        angle = 0.0
        for s in slices:
            if s.value == 0:
                continue
            sweep = 2 * math.pi * s.value / total
            if sweep >= 2 * math.pi - 1e-9:  # a full ring: an arc cannot start and end at the same point
                ET.SubElement(root, "circle", {"cx": str(cx), "cy": str(cy), "r": str((r_out + r_in) / 2),
                                               "fill": "none", "stroke": s.color,
                                               "stroke-width": str(r_out - r_in)})
            else:
                ET.SubElement(root, "path", {"d": _arc(cx, cy, r_out, r_in, angle, angle + sweep),
                                             "fill": s.color, "stroke": "#ffffff", "stroke-width": "1.5"})
            angle += sweep
    _text(root, cx, cy + 4, str(total), size=24, anchor="middle", weight="bold")
    _text(root, cx, cy + 20, center_label, size=10, anchor="middle", fill=MUTED)
    y = cy - 12 * len(slices) + 12
    for s in slices:
        ET.SubElement(root, "rect", {"x": "172", "y": f"{y - 10:.1f}", "width": "12", "height": "12",
                                     "rx": "2", "fill": s.color})
        _text(root, 192, y, s.label, size=12)
        _text(root, width - 6, y, str(s.value), size=12, anchor="end", weight="bold")
        y += 24
    return ET.tostring(root, encoding="unicode")


def bars(slices: Sequence[Slice], *, title: str) -> str:
    """Horizontal bars on a common scale, one per category, with the count at the end of each."""
    row = 26
    width, height = 320, row * len(slices) + 14
    label_w, value_w = 100, 44
    track = width - label_w - value_w
    root = _svg(width, height, title)
    top = max((s.value for s in slices), default=0)
    for i, s in enumerate(slices):
        y = 8 + i * row
        _text(root, 0, y + 13, s.label, size=12)
        ET.SubElement(root, "rect", {"x": str(label_w), "y": str(y + 2), "width": str(track), "height": "14",
                                     "rx": "3", "fill": TRACK})
        if s.value and top:
            length = max(3.0, track * s.value / top)
            ET.SubElement(root, "rect", {"x": str(label_w), "y": str(y + 2), "width": f"{length:.1f}",
                                         "height": "14", "rx": "3", "fill": s.color})
        _text(root, width - 4, y + 13, str(s.value), size=12, anchor="end", weight="bold")
    return ET.tostring(root, encoding="unicode")
