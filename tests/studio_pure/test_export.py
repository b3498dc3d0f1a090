import json
import xml.etree.ElementTree as ET

import pytest

from studio.convert.export import mermaid_escape, to_bpmn, to_json, to_mermaid
from studio.format import parse_document
from studio.templates_data import list_templates, load_template

XSS = "<img src=x onerror=alert(1)>"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
}


@pytest.fixture
def hostile():
    return parse_document(
        {
            "name": 'Flow "quoted" & <b>bold</b>',
            "description": "desc ]]> <!-- x -->",
            "nodes": [
                {"id": "in", "type": "user_input", "label": XSS, "position": {"x": 0, "y": 0}},
                {
                    "id": "llm",
                    "type": "llm_call",
                    "label": 'say "hi" [x] {y} (z) | #1; `t`',
                    "position": {"x": 260, "y": 0},
                },
                {"id": "rev", "type": "human_review", "label": "Review\nnow", "position": {"x": 520, "y": 0}},
                {"id": "out", "type": "response", "label": "Reply", "position": {"x": 780, "y": 0}},
                {"id": "alt", "type": "llm_call", "label": "Backup"},
            ],
            "edges": [
                {"from": "in", "to": "llm", "label": XSS},
                {"from": "llm", "to": "rev"},
                {"from": "rev", "to": "out"},
                {"from": "llm", "to": "alt", "kind": "fallback", "label": "down"},
                {"from": "llm", "to": "rev", "kind": "escalation"},
                {"from": "alt", "to": "out"},
            ],
        }
    )


def test_json_export_keeps_labels_verbatim_and_reparses(hostile):
    text = to_json(hostile)
    data = json.loads(text)
    assert data["nodes"][0]["label"] == XSS
    assert parse_document(data) == hostile
    assert text.startswith("{\n  ")


def test_mermaid_escapes_labels_and_shows_edge_kinds(hostile):
    text = to_mermaid(hostile)
    assert text.startswith("flowchart LR\n")
    assert "<img" not in text and "onerror=alert#40;1#41;#gt;" in text
    assert '"#lt;img src=x onerror=alert#40;1#41;#gt;' in text
    assert "say #quot;hi#quot; #91;x#93; #123;y#125; #40;z#41; #124; #35;1; #96;t#96;" in text
    assert "Review now" in text  # no raw line break inside a label
    assert "n0[/" in text  # input: parallelogram
    assert "n2{{" in text  # control: hexagon
    assert "n3([" in text  # sink: stadium
    assert 'n1 -.->|"fallback: down"| n4' in text
    assert 'n1 ==>|"escalation"| n2' in text
    assert "n1 --> n2" in text
    assert '-->|"#lt;img' in text
    # Every quoted string is balanced: nothing in a label can close it early.
    for line in text.splitlines():
        assert line.count('"') % 2 == 0, line


def test_mermaid_escape_does_not_double_escape():
    assert mermaid_escape("#;") == "#35;;"
    assert mermaid_escape('"') == "#quot;"


def test_bpmn_is_well_formed_and_labels_round_trip(hostile):
    text = to_bpmn(hostile)
    assert "<img" not in text
    root = ET.fromstring(text.encode("utf-8"))
    process = root.find("bpmn:process", NS)
    assert process.get("name") == 'Flow "quoted" & <b>bold</b>'
    names = {
        el.get("name"): el.tag.split("}")[1]
        for el in process
        if el.get("name") and not el.tag.endswith("sequenceFlow")
    }
    assert names[XSS] == "startEvent"
    assert names['say "hi" [x] {y} (z) | #1; `t`'] == "serviceTask"
    assert names["Review\nnow"] == "userTask"
    assert names["Reply"] == "sendTask"
    flows = process.findall("bpmn:sequenceFlow", NS)
    flow_names = {f.get("name") for f in flows}
    assert {XSS, "fallback: down", "escalation"} <= flow_names
    assert len(process.findall("bpmn:endEvent", NS)) == 1
    refs = {el.get("id") for el in process}
    assert all(f.get("sourceRef") in refs and f.get("targetRef") in refs for f in flows)
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    shapes = {s.get("bpmnElement") for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in plane.findall("bpmndi:BPMNEdge", NS)}
    assert shapes == {
        el.get("id") for el in process if el.tag.split("}")[1] not in ("sequenceFlow", "documentation")
    }
    assert edges == {f.get("id") for f in flows}


def test_bpmn_drops_characters_xml_cannot_hold():
    doc = parse_document(
        {"name": "ctl\x01\x02", "nodes": [{"id": "a", "type": "transform", "label": "a\x00b"}]}
    )
    root = ET.fromstring(to_bpmn(doc).encode())
    assert root.find("bpmn:process", NS).get("name") == "ctl"


@pytest.mark.parametrize("slug", [t.slug for t in list_templates(include_unlisted=True)])
def test_every_template_exports(slug):
    doc = load_template(slug)
    ET.fromstring(to_bpmn(doc).encode())
    assert to_mermaid(doc).count("\n") >= len(doc.nodes) + len(doc.edges)
    assert json.loads(to_json(doc))["name"] == doc.name
