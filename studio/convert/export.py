"""Export a workflow as our JSON, Mermaid flowchart text or BPMN 2.0 XML.

Labels are user text: JSON keeps them verbatim, Mermaid gets them as entity codes inside quoted
strings, and BPMN is built with ``xml.etree`` so every label is escaped by the serialiser.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # builds XML only; input is never parsed here

from studio.catalogue import load_catalogue
from studio.format import WorkflowDocument
from studio.layout import auto_layout

# --- JSON --------------------------------------------------------------------------------------


def to_json(doc: WorkflowDocument) -> str:
    """Our ``workflowos.workflow/v1`` JSON, pretty-printed (UTF-8 kept as is)."""
    return json.dumps(doc.to_data(), indent=2, ensure_ascii=False) + "\n"


# --- Mermaid -----------------------------------------------------------------------------------

# Characters that end a quoted label or that Mermaid reads as markup, as Mermaid entity codes.
_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "(": "#40;",
    ")": "#41;",
    "|": "#124;",
    "`": "#96;",
}
_MERMAID_RE = re.compile("[" + re.escape("".join(_MERMAID_ENTITIES)) + "]")
_MERMAID_SHAPES = {
    "input": ('[/"', '"/]'),  # parallelogram
    "processing": ('["', '"]'),  # rectangle
    "control": ('{{"', '"}}'),  # hexagon
    "sink": ('(["', '"])'),  # stadium
}
_MERMAID_STYLES = {
    "input": "fill:#e8f1fb,stroke:#2f6db5",
    "processing": "fill:#f4f4f4,stroke:#555",
    "control": "fill:#e9f7ec,stroke:#2e7d32",
    "sink": "fill:#fdf1e6,stroke:#b85c00",
}


def mermaid_escape(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: markup characters as ``#…;`` entity codes,
    line breaks as spaces."""
    text = " ".join(text.split())
    # One pass, so the "#" and ";" of an inserted code are never escaped again.
    return _MERMAID_RE.sub(lambda m: _MERMAID_ENTITIES[m.group(0)], text)


def to_mermaid(doc: WorkflowDocument) -> str:
    """A Mermaid ``flowchart LR``: shape per category (input parallelogram, processing rectangle,
    control hexagon, sink stadium); edges ``-->`` (data), ``-.->`` (fallback), ``==>`` (escalation).
    Node ids are generated (``n0``, ``n1``…); labels are escaped."""
    cat = load_catalogue()
    ids = {n.id: f"n{i}" for i, n in enumerate(doc.nodes)}
    lines = ["flowchart LR", f"  %% {mermaid_escape(doc.name)} ({doc.format})"]
    used: dict[str, list[str]] = {}
    for n in doc.nodes:
        nt = cat.get(n.type)
        category = nt.category if nt else "processing"
        left, right = _MERMAID_SHAPES[category]
        type_label = nt.label if nt else n.type
        lines.append(f"  {ids[n.id]}{left}{mermaid_escape(n.label)}<br/>{mermaid_escape(type_label)}{right}")
        used.setdefault(category, []).append(ids[n.id])
    for e in doc.edges:
        a, b = ids.get(e.from_), ids.get(e.to)
        if a is None or b is None:
            continue
        label = mermaid_escape(e.label)
        if e.kind == "fallback":
            text = "fallback" + (f": {label}" if label else "")
            lines.append(f'  {a} -.->|"{text}"| {b}')
        elif e.kind == "escalation":
            text = "escalation" + (f": {label}" if label else "")
            lines.append(f'  {a} ==>|"{text}"| {b}')
        elif label:
            lines.append(f'  {a} -->|"{label}"| {b}')
        else:
            lines.append(f"  {a} --> {b}")
    for group, members in used.items():
        lines.append(f"  classDef {group} {_MERMAID_STYLES[group]}")
        # Keep lines short for very large graphs: chunk long class lists.
        for start in range(0, len(members), 200):
            lines.append(f"  class {','.join(members[start : start + 200])} {group}")
    return "\n".join(lines) + "\n"


# --- BPMN 2.0 ----------------------------------------------------------------------------------

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
TASK_W, TASK_H = 120.0, 80.0
EVENT_SIZE = 36.0
_USER_TASKS = ("human_review", "approval_gate")
_SEND_TASKS = ("response", "message_send")


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _bpmn_element(node_type: str, category: str, has_incoming: bool) -> str:
    if category == "input":
        return "receiveTask" if has_incoming else "startEvent"
    if node_type in _USER_TASKS:
        return "userTask"
    if node_type in _SEND_TASKS:
        return "sendTask"
    return "serviceTask"


def to_bpmn(doc: WorkflowDocument) -> str:
    """BPMN 2.0 XML (``definitions`` / ``process`` and a ``BPMNDiagram``).

    Inputs that start the flow are start events (other inputs receive tasks); people steps
    (human review, approval gate) are user tasks; responses and messages send tasks; everything
    else service tasks. Each step with no outgoing edge is followed by an end event. Edges are
    sequence flows named after their kind and label. Shapes use the document's positions (laid out
    automatically where missing).
    """
    if any(n.position is None for n in doc.nodes):
        doc = auto_layout(doc, keep_existing=True)
    ET.register_namespace("bpmn", BPMN)
    ET.register_namespace("bpmndi", BPMNDI)
    ET.register_namespace("dc", DC)
    ET.register_namespace("di", DI)
    cat = load_catalogue()
    defs = ET.Element(
        _q(BPMN, "definitions"),
        {
            "id": "Definitions_1",
            "targetNamespace": "https://workflowos.example/bpmn",
            "exporter": "WorkflowOS",
            "exporterVersion": "1",
        },
    )
    process = ET.SubElement(
        defs, _q(BPMN, "process"), {"id": "Process_1", "name": _x(doc.name), "isExecutable": "false"}
    )
    if doc.description:
        ET.SubElement(process, _q(BPMN, "documentation")).text = _x(doc.description)

    ids = {n.id: f"Node_{i}" for i, n in enumerate(doc.nodes)}
    incoming: dict[str, list[str]] = {n.id: [] for n in doc.nodes}
    outgoing: dict[str, list[str]] = {n.id: [] for n in doc.nodes}
    flows: list[tuple[str, str, str, str]] = []  # (flow id, source element, target element, name)
    for j, e in enumerate(doc.edges):
        if e.from_ not in ids or e.to not in ids:
            continue
        name = e.label if e.kind == "data" else (f"{e.kind}: {e.label}" if e.label else e.kind)
        fid = f"Flow_{j}"
        flows.append((fid, ids[e.from_], ids[e.to], name))
        outgoing[e.from_].append(fid)
        incoming[e.to].append(fid)

    shapes: dict[str, tuple[float, float, float, float]] = {}
    elements: dict[str, ET.Element] = {}
    for n in doc.nodes:
        nt = cat.get(n.type)
        kind = _bpmn_element(n.type, nt.category if nt else "processing", bool(incoming[n.id]))
        if kind == "startEvent" and incoming[n.id]:
            kind = "receiveTask"
        el = ET.SubElement(process, _q(BPMN, kind), {"id": ids[n.id], "name": _x(n.label)})
        ET.SubElement(el, _q(BPMN, "documentation")).text = _x(f"WorkflowOS step {n.id} ({n.type})")
        elements[ids[n.id]] = el
        x, y = (n.position.x, n.position.y) if n.position else (0.0, 0.0)
        if kind == "startEvent":
            shapes[ids[n.id]] = (x, y + (TASK_H - EVENT_SIZE) / 2, EVENT_SIZE, EVENT_SIZE)
        else:
            shapes[ids[n.id]] = (x, y, TASK_W, TASK_H)

    end_no = 0
    for n in doc.nodes:
        if outgoing[n.id]:
            continue
        end_id, fid = f"End_{end_no}", f"Flow_end_{end_no}"
        end_no += 1
        ET.SubElement(process, _q(BPMN, "endEvent"), {"id": end_id, "name": "End"})
        flows.append((fid, ids[n.id], end_id, ""))
        outgoing[n.id].append(fid)
        sx, sy, sw, sh = shapes[ids[n.id]]
        shapes[end_id] = (sx + sw + 50, sy + sh / 2 - EVENT_SIZE / 2, EVENT_SIZE, EVENT_SIZE)
        elements[end_id] = process[-1]
        ET.SubElement(elements[end_id], _q(BPMN, "incoming")).text = fid

    # BPMN lists a flow node's incoming/outgoing flows as child elements.
    for n in doc.nodes:
        el = elements[ids[n.id]]
        for fid in incoming[n.id]:
            ET.SubElement(el, _q(BPMN, "incoming")).text = fid
        for fid in outgoing[n.id]:
            ET.SubElement(el, _q(BPMN, "outgoing")).text = fid
    for fid, src, dst, name in flows:
        attrs = {"id": fid, "sourceRef": src, "targetRef": dst}
        if name:
            attrs["name"] = _x(name)
        ET.SubElement(process, _q(BPMN, "sequenceFlow"), attrs)

    diagram = ET.SubElement(defs, _q(BPMNDI, "BPMNDiagram"), {"id": "Diagram_1"})
    plane = ET.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), {"id": "Plane_1", "bpmnElement": "Process_1"})
    for el_id, (x, y, w, h) in shapes.items():
        shape = ET.SubElement(plane, _q(BPMNDI, "BPMNShape"), {"id": f"{el_id}_di", "bpmnElement": el_id})
        ET.SubElement(
            shape, _q(DC, "Bounds"), {"x": _num(x), "y": _num(y), "width": _num(w), "height": _num(h)}
        )
    for fid, src, dst, _name in flows:
        sx, sy, sw, sh = shapes[src]
        tx, ty, _tw, th = shapes[dst]
        edge = ET.SubElement(plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{fid}_di", "bpmnElement": fid})
        ET.SubElement(edge, _q(DI, "waypoint"), {"x": _num(sx + sw), "y": _num(sy + sh / 2)})
        ET.SubElement(edge, _q(DI, "waypoint"), {"x": _num(tx), "y": _num(ty + th / 2)})

    ET.indent(defs, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(defs, encoding="unicode") + "\n"


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: str) -> str:
    """Drop characters XML 1.0 cannot hold at all (escaping is the serialiser's job)."""
    return _XML_INVALID.sub("", text)


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
