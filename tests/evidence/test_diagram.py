"""Server-rendered workflow diagrams: escaped, legible, split when large (pure, no Django)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from evidence.diagram import NODE_H, NODE_W, render_diagram
from tests.evidence.helpers import HOSTILE, doc

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def grid(columns: int, rows: int) -> dict:
    """A wide graph: ``rows`` parallel chains of ``columns`` steps, laid out on a grid."""
    nodes, edges = [], []
    for r in range(rows):
        for c in range(columns):
            nodes.append(
                {
                    "id": f"n{r}_{c}",
                    "type": "transform",
                    "label": f"Step {r}.{c}",
                    "position": {"x": 40 + 260 * c, "y": 40 + 120 * r},
                }
            )
            if c:
                edges.append({"id": f"e{r}_{c}", "from": f"n{r}_{c - 1}", "to": f"n{r}_{c}"})
    edges.append({"id": "back", "from": f"n0_{columns - 1}", "to": "n0_0", "kind": "fallback"})
    return {"format": "workflowos.workflow/v1", "name": "Grid", "nodes": nodes, "edges": edges}


def test_user_text_is_escaped_and_the_svg_is_well_formed():
    d = doc(first_label=HOSTILE + ' & "quotes" \x07bell')
    d["name"] = "</svg><script>alert(1)</script>"
    d["edges"][0]["label"] = "<b>bold</b>"
    diagram = render_diagram(d, uid="t")

    svg = diagram.parts[0].svg
    assert "<img" not in svg and "<script" not in svg and "<b>" not in svg and "\x07" not in svg
    assert "&lt;img" in svg
    labels = texts(svg)  # parses: the markup stayed text
    joined = "".join(labels)
    assert "<img" in joined and "file:///etc/passwd" in joined
    assert "<b>bold</b>" in labels


def test_a_small_graph_fits_the_text_column_at_a_legible_scale():
    small = doc()
    small["nodes"] = small["nodes"][:3]
    small["edges"] = small["edges"][:2]
    diagram = render_diagram(small, uid="t", inline_box=(490, 560), min_scale=0.45)

    assert diagram.placement == "inline" and len(diagram.parts) == 1 and diagram.overview is None
    assert diagram.scale >= 0.45
    assert diagram.parts[0].width_pt <= 490.5
    assert set(texts(diagram.parts[0].svg)) >= {"Customer message", "Injection filter", "Answer"}


def test_a_graph_too_wide_for_the_column_gets_a_landscape_page():
    diagram = render_diagram(doc(), uid="t", inline_box=(490, 560), part_box=(750, 420), min_scale=0.45)
    assert diagram.placement == "landscape" and len(diagram.parts) == 1 and diagram.overview is None
    assert diagram.scale >= 0.45 and diagram.parts[0].width_pt <= 750.5


def test_a_large_graph_is_split_into_legible_parts_without_cutting_a_step():
    d = grid(columns=14, rows=9)
    diagram = render_diagram(d, uid="g", part_box=(750, 420), min_scale=0.45)

    assert diagram.placement == "landscape" and len(diagram.parts) > 1 and diagram.overview
    assert diagram.scale >= 0.45  # ≥ 6.3 pt labels on paper
    for part in diagram.parts:
        assert part.width_pt <= 750.5 and part.height_pt <= 420.5
    shown = [t for part in diagram.parts for t in texts(part.svg) if t.startswith("Step ")]
    assert sorted(shown) == sorted(n["label"] for n in d["nodes"])  # every step exactly once: none cut in two
    # each part's viewBox holds whole boxes only
    for part in diagram.parts:
        x0, y0, w, h = (float(v) for v in re.search(r'viewBox="([^"]+)"', part.svg).group(1).split())
        for m in re.finditer(r'<rect x="([\d.]+)" y="([\d.]+)" width="200" height="64"', part.svg):
            x, y = float(m.group(1)), float(m.group(2))
            assert x0 <= x and x + NODE_W <= x0 + w and y0 <= y and y + NODE_H <= y0 + h


def test_edges_leaving_a_part_say_where_they_lead():
    diagram = render_diagram(grid(columns=14, rows=2), uid="g")
    first = diagram.parts[0]
    outgoing = [link for link in first.links if link.outgoing]
    assert outgoing, "the chains continue in the next part"
    assert all(link.part and link.part > 1 for link in outgoing)
    back = [link for link in first.links if link.kind == "fallback"]
    assert back and back[0].part is not None


def test_a_huge_graph_stays_within_the_part_limit():
    diagram = render_diagram(grid(columns=80, rows=30), uid="h")
    assert 1 < len(diagram.parts) <= 40


def test_documents_without_positions_are_laid_out():
    d = doc()
    for n in d["nodes"]:
        del n["position"]
    diagram = render_diagram(d, uid="t")
    assert diagram.parts and set(texts(diagram.parts[0].svg)) >= {"Customer message", "Reply"}
