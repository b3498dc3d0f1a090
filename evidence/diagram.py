"""Server-rendered SVG diagrams of workflow documents, for print.

Steps are labelled boxes coloured by category (input, processing, control, sink); edges are
curves styled by kind (data solid, fallback dashed, escalation dotted). Positions come from the
stored layout; a document without positions is laid out by :mod:`studio.layout`.

A diagram must stay readable on paper, so it is drawn at one scale no smaller than
``min_scale`` (text of at least ~6 pt). A graph too large for one page at that scale is split
into parts (tiles) whose cut lines fall in the gaps between columns and rows of steps, so no box
is cut in two; an edge leaving a part ends in a note naming the step it leads to and the part
that shows it, and an overview of the whole graph shows where each part lies.

Every piece of user text is escaped. Pure Python (no Django).
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from studio.catalogue import load_catalogue
from studio.layout import compute_layout

NODE_W, NODE_H = 200.0, 64.0
LABEL_SIZE, TYPE_SIZE, NOTE_SIZE = 14.0, 11.0, 11.0
PAD = 24.0
MAX_PARTS = 40
FONT = "DejaVu Sans, Arial, sans-serif"
FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# (fill, stroke / band) per category: light fills print well in colour and in grey.
CATEGORY_COLOURS = {
    "input": ("#eff6ff", "#2563eb"),
    "processing": ("#f5f3ff", "#7c3aed"),
    "control": ("#ecfdf5", "#059669"),
    "sink": ("#fffbeb", "#d97706"),
}
CATEGORY_LABELS = {"input": "Input", "processing": "Processing", "control": "Control", "sink": "Sink"}
# (stroke, dash array) per edge kind.
EDGE_STYLES = {"data": ("#475569", ""), "fallback": ("#c2410c", "9 5"), "escalation": ("#7c3aed", "2 4")}
EDGE_LABELS = {"data": "Data", "fallback": "Fallback", "escalation": "Escalation"}


@dataclass(frozen=True)
class PartLink:
    """An edge that leaves a part: ``marker`` is the number drawn where it leaves."""

    marker: int
    outgoing: bool
    kind: str
    step: str  # the step at the other end (escaped when rendered, like all user text)
    part: int | None


@dataclass(frozen=True)
class DiagramPart:
    number: int
    row: int
    column: int
    svg: str
    width_pt: float
    height_pt: float
    links: tuple[PartLink, ...] = ()


@dataclass(frozen=True)
class Diagram:
    """``parts``: one when the graph fits; ``placement`` is ``inline`` (fits the portrait text
    column) or ``landscape`` (parts on landscape pages, with an ``overview`` when split)."""

    parts: list[DiagramPart]
    placement: str
    scale: float
    overview: str | None
    node_count: int
    edge_count: int


@dataclass(frozen=True)
class _Node:
    id: str
    label: str
    type_label: str
    category: str
    x: float
    y: float


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    kind: str
    label: str
    points: tuple[tuple[float, float], ...]  # the curve, sampled
    bbox: tuple[float, float, float, float]


def clean_text(value: Any, limit: int = 200) -> str:
    """User text on one line, without control or format characters, at most ``limit`` chars."""
    text = " ".join(str(value).split())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


@cache
def _font(size: float) -> Any:
    """DejaVu Sans (the font the PDF uses) for measuring text, or None where it is not installed."""
    try:
        from PIL import ImageFont

        return ImageFont.truetype(str(FONT_FILE), size=round(size * 4))  # x4: sub-unit precision
    except (ImportError, OSError):
        return None


@lru_cache(maxsize=4096)
def text_width(text: str, size: float) -> float:
    """The width of ``text`` at ``size`` (SVG units), measured with the font when available."""
    font = _font(size)
    if font is None:
        return len(text) * size * 0.62  # a little wider than DejaVu Sans's average, to stay inside
    return float(font.getlength(text)) / 4


def _wrap(text: str, width: float, lines: int, size: float) -> list[str]:
    """Greedy word wrap into at most ``lines`` lines no wider than ``width``, ellipsis at the end."""
    out: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}".strip()
        if text_width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = word
        while text_width(current, size) > width:  # a very long word (a URL, an id) is broken hard
            cut = len(current) - 1
            while cut > 1 and text_width(current[:cut], size) > width:
                cut -= 1
            out.append(current[:cut])
            current = current[cut:]
    if current:
        out.append(current)
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out or [""]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _nodes(document: Mapping[str, Any]) -> list[_Node]:
    catalogue = load_catalogue()
    raw = list(document.get("nodes") or [])
    if any(not isinstance(n.get("position"), Mapping) for n in raw):
        edges = [
            (str(e.get("from")), str(e.get("to")))
            for e in document.get("edges") or []
            if e.get("kind", "data") == "data"
        ]
        layout = compute_layout([str(n["id"]) for n in raw], edges)
        positions = {nid: {"x": x, "y": y} for nid, (x, y) in layout.items()}
    else:
        positions = {str(n["id"]): n["position"] for n in raw}
    nodes = []
    for n in raw:
        node_type = catalogue.get(str(n.get("type")))
        category = node_type.category if node_type else "processing"
        pos = positions[str(n["id"])]
        nodes.append(
            _Node(
                id=str(n["id"]),
                label=clean_text(n.get("label") or n["id"]),
                type_label=clean_text(node_type.label if node_type else n.get("type", "")),
                category=category,
                x=float(pos["x"]),
                y=float(pos["y"]),
            )
        )
    return nodes


def _curve(a: _Node, b: _Node) -> tuple[tuple[float, float], ...]:
    x1, y1 = a.x + NODE_W, a.y + NODE_H / 2
    x2, y2 = b.x, b.y + NODE_H / 2
    dx = max(48.0, abs(x2 - x1) / 2)
    c1, c2 = (x1 + dx, y1), (x2 - dx, y2)
    points = []
    for i in range(25):
        t = i / 24
        u = 1 - t
        points.append(
            (
                u**3 * x1 + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t**3 * x2,
                u**3 * y1 + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t**3 * y2,
            )
        )
    return tuple(points)


def _edges(document: Mapping[str, Any], by_id: Mapping[str, _Node]) -> list[_Edge]:
    out = []
    for e in document.get("edges") or []:
        a, b = by_id.get(str(e.get("from"))), by_id.get(str(e.get("to")))
        if a is None or b is None or a is b:
            continue
        kind = e.get("kind", "data")
        points = _curve(a, b)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        out.append(
            _Edge(
                a.id,
                b.id,
                kind if kind in EDGE_STYLES else "data",
                clean_text(e.get("label") or "", 40),
                points,
                (min(xs), min(ys), max(xs), max(ys)),
            )
        )
    return out


# --- cutting into parts ---------------------------------------------------------------------------


def _gap_points(intervals: Sequence[tuple[float, float]]) -> list[float]:
    """Midpoints of the free gaps between the merged ``intervals``."""
    merged: list[list[float]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(merged[i][1] + merged[i + 1][0]) / 2 for i in range(len(merged) - 1)]


def _cuts(intervals: Sequence[tuple[float, float]], lo: float, hi: float, max_len: float) -> list[float]:
    """Cut positions from ``lo`` to ``hi`` with pieces no longer than ``max_len``, preferring the
    gaps between boxes (a hard cut only where no gap is within reach)."""
    gaps = _gap_points(intervals)
    cuts = [lo]
    while hi - cuts[-1] > max_len:
        start = cuts[-1]
        reachable = [g for g in gaps if start + max_len * 0.3 < g <= start + max_len]
        cuts.append(max(reachable) if reachable else start + max_len)
    cuts.append(hi)
    return cuts


def _box_in(node: _Node, rect: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = rect
    return node.x < x1 and node.x + NODE_W > x0 and node.y < y1 and node.y + NODE_H > y0


def _inside(p: tuple[float, float], rect: tuple[float, float, float, float]) -> bool:
    return rect[0] <= p[0] <= rect[2] and rect[1] <= p[1] <= rect[3]


def _touches(edge: _Edge, rect: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = edge.bbox
    return x0 <= rect[2] and x1 >= rect[0] and y0 <= rect[3] and y1 >= rect[1]


# --- drawing --------------------------------------------------------------------------------------


def _node_svg(n: _Node, *, text: bool = True) -> str:
    fill, stroke = CATEGORY_COLOURS.get(n.category, CATEGORY_COLOURS["processing"])
    x, y = n.x, n.y
    parts = [
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(NODE_W)}" height="{_num(NODE_H)}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>',
        f'<rect x="{_num(x)}" y="{_num(y)}" width="7" height="{_num(NODE_H)}" rx="3" fill="{stroke}"/>',
    ]
    if text:
        lines = _wrap(n.label, NODE_W - 24, 2, LABEL_SIZE)
        top = y + (19 if len(lines) == 2 else 27)
        for i, line in enumerate(lines):
            parts.append(
                f'<text x="{_num(x + 15)}" y="{_num(top + i * 17)}" font-size="{_num(LABEL_SIZE)}" '
                f'fill="#0f172a">{_e(line)}</text>'
            )
        parts.append(
            f'<text x="{_num(x + 15)}" y="{_num(y + NODE_H - 8)}" font-size="{_num(TYPE_SIZE)}" '
            f'fill="#475569">{_e(_wrap(n.type_label, NODE_W - 24, 1, TYPE_SIZE)[0])}</text>'
        )
    return "".join(parts)


def _edge_svg(edge: _Edge) -> str:
    colour, dash = EDGE_STYLES[edge.kind]
    p = edge.points
    (x1, y1), (x2, y2) = p[0], p[-1]
    dx = max(48.0, abs(x2 - x1) / 2)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    out = (
        f'<path d="M{_num(x1)} {_num(y1)} C{_num(x1 + dx)} {_num(y1)} {_num(x2 - dx)} {_num(y2)} '
        f'{_num(x2)} {_num(y2)}" fill="none" stroke="{colour}" stroke-width="1.6"{dash_attr}/>'
        f'<polygon points="{_num(x2)},{_num(y2)} {_num(x2 - 10)},{_num(y2 - 5)} {_num(x2 - 10)},{_num(y2 + 5)}" '
        f'fill="{colour}"/>'
    )
    if edge.label:
        mx, my = p[len(p) // 2]
        out += (
            f'<text x="{_num(mx)}" y="{_num(my - 5)}" font-size="{_num(NOTE_SIZE)}" text-anchor="middle" '
            f'fill="{colour}">{_e(edge.label)}</text>'
        )
    return out


MARKER_R = 9.0


def _exit_point(
    edge: _Edge, rect: tuple[float, float, float, float], *, outgoing: bool
) -> tuple[float, float]:
    """Where an edge leaves the part, pulled inside the border by a marker's radius."""
    points = edge.points if outgoing else tuple(reversed(edge.points))
    last = points[0]
    for p in points:
        if not _inside(p, rect):
            break
        last = p
    r = MARKER_R
    return min(max(last[0], rect[0] + r + 1), rect[2] - r - 1), min(
        max(last[1], rect[1] + r + 1), rect[3] - r - 1
    )


def _spread(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Move markers that would overlap apart, downwards, in the order given."""
    placed: list[tuple[float, float]] = []
    for x, y in points:
        while any(abs(x - px) < 2 * MARKER_R + 2 and abs(y - py) < 2 * MARKER_R + 2 for px, py in placed):
            y += 2 * MARKER_R + 3
        placed.append((x, y))
    return placed


def _exit_marker(edge: _Edge, point: tuple[float, float], number: int) -> str:
    """A numbered marker where an edge leaves the part; the caption says where it leads."""
    x, y = point
    r = MARKER_R
    colour = EDGE_STYLES[edge.kind][0]
    return (
        f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="#ffffff" stroke="{colour}" stroke-width="1.5"/>'
        f'<text x="{_num(x)}" y="{_num(y + 4)}" font-size="{_num(NOTE_SIZE)}" text-anchor="middle" '
        f'font-weight="bold" fill="{colour}">{number}</text>'
    )


def _svg(
    rect: tuple[float, float, float, float],
    scale: float,
    body: str,
    *,
    clip_id: str,
    title: str,
) -> tuple[str, float, float]:
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    wpt, hpt = w * scale, h * scale
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_num(x0)} {_num(y0)} {_num(w)} {_num(h)}" '
        f'width="{_num(wpt)}pt" height="{_num(hpt)}pt" font-family="{FONT}" role="img" aria-label="{_e(title)}">'
        f'<clipPath id="{clip_id}"><rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(w)}" height="{_num(h)}"/></clipPath>'
        f'<g clip-path="url(#{clip_id})">{body}</g></svg>'
    )
    return svg, wpt, hpt


def render_diagram(
    document: Mapping[str, Any],
    *,
    uid: str,
    inline_box: tuple[float, float] = (490.0, 560.0),
    part_box: tuple[float, float] = (750.0, 420.0),
    overview_width: float = 490.0,
    min_scale: float = 0.45,
    max_scale: float = 0.75,
) -> Diagram:
    """Draw a ``workflowos.workflow/v1`` document (a dict) as one or more SVG parts.

    Boxes are in points: ``inline_box`` is the portrait text column, ``part_box`` the room for
    a part on a landscape page. ``uid`` makes the SVG ids unique within the HTML page.
    """
    nodes = _nodes(document)
    by_id = {n.id: n for n in nodes}
    edges = _edges(document, by_id)
    if not nodes:
        return Diagram([], "inline", 1.0, None, 0, 0)
    x0 = min(n.x for n in nodes) - PAD
    y0 = min(n.y for n in nodes) - PAD
    x1 = max(n.x for n in nodes) + NODE_W + PAD
    y1 = max(n.y for n in nodes) + NODE_H + PAD
    width, height = x1 - x0, y1 - y0
    title = f"Diagram of {clean_text(document.get('name', 'the workflow'))}"

    fit_inline = min(max_scale, inline_box[0] / width, inline_box[1] / height)
    if fit_inline >= min_scale:
        body = "".join(_edge_svg(e) for e in edges) + "".join(_node_svg(n) for n in nodes)
        svg, wpt, hpt = _svg((x0, y0, x1, y1), fit_inline, body, clip_id=f"{uid}-all", title=title)
        return Diagram(
            [DiagramPart(1, 1, 1, svg, wpt, hpt)], "inline", fit_inline, None, len(nodes), len(edges)
        )

    scale_floor = min_scale
    while True:
        col_cuts = _cuts([(n.x, n.x + NODE_W) for n in nodes], x0, x1, part_box[0] / scale_floor)
        row_cuts = _cuts([(n.y, n.y + NODE_H) for n in nodes], y0, y1, part_box[1] / scale_floor)
        cells = (len(col_cuts) - 1) * (len(row_cuts) - 1)
        if cells <= MAX_PARTS:
            break
        scale_floor /= math.sqrt(cells / MAX_PARTS) * 1.02  # larger parts, smaller text

    rects: list[tuple[int, int, tuple[float, float, float, float]]] = []
    for r in range(len(row_cuts) - 1):
        for c in range(len(col_cuts) - 1):
            rect = (col_cuts[c], row_cuts[r], col_cuts[c + 1], row_cuts[r + 1])
            if any(_box_in(n, rect) for n in nodes):
                rects.append((r + 1, c + 1, rect))
    scale = min(
        max_scale,
        *(min(part_box[0] / (rc[2] - rc[0]), part_box[1] / (rc[3] - rc[1])) for _, _, rc in rects),
    )
    # Each step belongs to the first part that shows it (cuts fall in gaps, so usually only one).
    home: dict[str, int] = {}
    for number, (_, _, rect) in enumerate(rects, start=1):
        for n in nodes:
            if n.id not in home and _box_in(n, rect):
                home[n.id] = number

    parts = []
    for number, (row, col, rect) in enumerate(rects, start=1):
        shown = [n for n in nodes if _box_in(n, rect)]
        shown_ids = {n.id for n in shown}
        pieces: list[str] = []
        leaving: list[tuple[_Edge, tuple[float, float]]] = []
        links: list[PartLink] = []
        for e in edges:
            if not _touches(e, rect):
                continue
            pieces.append(_edge_svg(e))
            outgoing = e.source in shown_ids and e.target not in shown_ids
            if outgoing or (e.target in shown_ids and e.source not in shown_ids):
                other = by_id[e.target if outgoing else e.source]
                leaving.append((e, _exit_point(e, rect, outgoing=outgoing)))
                links.append(PartLink(len(links) + 1, outgoing, e.kind, other.label, home.get(other.id)))
        pieces.extend(_node_svg(n) for n in shown)
        spread = _spread([point for _, point in leaving])
        pieces.extend(
            _exit_marker(e, point, i)
            for i, ((e, _), point) in enumerate(zip(leaving, spread, strict=True), start=1)
        )
        svg, wpt, hpt = _svg(
            rect, scale, "".join(pieces), clip_id=f"{uid}-p{number}", title=f"{title}, part {number}"
        )
        parts.append(DiagramPart(number, row, col, svg, wpt, hpt, tuple(links)))

    overview = None
    if len(parts) > 1:
        overview = _overview(nodes, edges, rects, (x0, y0, x1, y1), overview_width, uid=uid, title=title)
    return Diagram(parts, "landscape", scale, overview, len(nodes), len(edges))


def _overview(
    nodes: list[_Node],
    edges: list[_Edge],
    rects: list[tuple[int, int, tuple[float, float, float, float]]],
    bounds: tuple[float, float, float, float],
    width_pt: float,
    *,
    uid: str,
    title: str,
) -> str:
    x0, y0, x1, y1 = bounds
    scale = min(width_pt / (x1 - x0), 300.0 / (y1 - y0))
    # Labels would print at 2-3 pt here; the parts carry them, the overview shows the shape.
    body = ["".join(_edge_svg(e) for e in edges), "".join(_node_svg(n, text=False) for n in nodes)]
    label = 12 / scale  # part numbers stay ~12 pt whatever the scale
    for number, (_, _, (rx0, ry0, rx1, ry1)) in enumerate(rects, start=1):
        body.append(
            f'<rect x="{_num(rx0 + 4)}" y="{_num(ry0 + 4)}" width="{_num(rx1 - rx0 - 8)}" height="{_num(ry1 - ry0 - 8)}" '
            f'fill="none" stroke="#0f172a" stroke-width="{_num(1.2 / scale)}" stroke-dasharray="{_num(6 / scale)} {_num(4 / scale)}"/>'
            f'<text x="{_num(rx0 + 10 / scale)}" y="{_num(ry0 + 16 / scale)}" font-size="{_num(label)}" font-weight="bold" '
            f'fill="#0f172a">{number}</text>'
        )
    svg, _, _ = _svg(bounds, scale, "".join(body), clip_id=f"{uid}-overview", title=f"{title}, overview")
    return svg


def legend() -> dict[str, list[tuple[str, str, str]]]:
    """Colours for the legend printed beside diagrams: categories and edge kinds."""
    return {
        "categories": [(CATEGORY_LABELS[c], fill, stroke) for c, (fill, stroke) in CATEGORY_COLOURS.items()],
        "edges": [(EDGE_LABELS[k], colour, dash) for k, (colour, dash) in EDGE_STYLES.items()],
    }
