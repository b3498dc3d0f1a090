import json

from studio.diff import diff_documents
from studio.format import parse_document
from studio.templates_data import load_template


def _doc(**over):
    data = {
        "name": "W",
        "description": "d",
        "facts": {"personal_data": False},
        "nodes": [
            {"id": "a", "type": "user_input", "label": "In", "position": {"x": 0, "y": 0}},
            {
                "id": "b",
                "type": "llm_call",
                "label": "Model",
                "config": {"vendor": "openai", "model": "gpt-4o"},
                "position": {"x": 200, "y": 0},
            },
            {"id": "c", "type": "response", "label": "Out", "position": {"x": 400, "y": 0}},
        ],
        "edges": [{"id": "e1", "from": "a", "to": "b"}, {"id": "e2", "from": "b", "to": "c"}],
    }
    data.update(over)
    return parse_document(data)


def test_identical_documents_have_an_empty_diff():
    doc = load_template("support-agent-tools")
    diff = diff_documents(doc, doc)
    assert diff.is_empty
    assert diff.to_data()["empty"] is True


def test_nodes_and_edges_added_removed_changed():
    old = _doc()
    new_data = old.to_data()
    new_data["name"] = "W2"
    new_data["facts"]["personal_data"] = True
    new_data["nodes"][1]["label"] = "Model v2"
    new_data["nodes"][1]["config"] = {"vendor": "anthropic", "model_version": "x-1"}
    new_data["nodes"][2]["position"] = {"x": 500, "y": 0}
    new_data["nodes"].append({"id": "d", "type": "output_validator", "label": "Check"})
    new_data["nodes"] = [n for n in new_data["nodes"] if n["id"] != "a"]
    new_data["edges"] = [
        {"id": "e2", "from": "b", "to": "d", "kind": "data", "label": "checked"},
        {"id": "e3", "from": "d", "to": "c"},
    ]
    new = parse_document(new_data)
    diff = diff_documents(old, new)

    assert diff.name.old == "W" and diff.name.new == "W2"
    assert diff.description is None
    assert [(c.field, c.old, c.new) for c in diff.facts] == [("facts.personal_data", False, True)]
    assert [n["id"] for n in diff.nodes_added] == ["d"]
    assert [n["id"] for n in diff.nodes_removed] == ["a"]
    changed = {c.id: c for c in diff.nodes_changed}
    assert set(changed) == {"b", "c"}
    fields = {(f.field, f.old, f.new) for f in changed["b"].changes}
    assert fields == {
        ("label", "Model", "Model v2"),
        ("config.vendor", "openai", "anthropic"),
        ("config.model", "gpt-4o", None),
        ("config.model_version", None, "x-1"),
    }
    assert changed["c"].moved_only
    assert not changed["b"].moved_only
    assert [e["id"] for e in diff.edges_added] == ["e3"]
    assert [e["id"] for e in diff.edges_removed] == ["e1"]
    assert [(c.id, [(f.field, f.old, f.new) for f in c.changes]) for c in diff.edges_changed] == [
        ("e2", [("to", "c", "d"), ("label", "", "checked")])
    ]
    data = json.loads(json.dumps(diff.to_data()))
    assert data["summary"] == {
        "nodes_added": 1,
        "nodes_removed": 1,
        "nodes_changed": 2,
        "edges_added": 1,
        "edges_removed": 1,
        "edges_changed": 1,
        "facts_changed": 1,
    }
    assert data["nodes"]["changed"][0]["changes"][0]["field"] == "label"


def test_node_type_change_and_edge_kind_change():
    old = _doc()
    data = old.to_data()
    data["nodes"][1]["type"] = "agent"
    data["edges"][1]["kind"] = "fallback"
    diff = diff_documents(old, parse_document(data))
    assert ("type", "llm_call", "agent") in {(f.field, f.old, f.new) for f in diff.nodes_changed[0].changes}
    assert [(f.field, f.new) for f in diff.edges_changed[0].changes] == [("kind", "fallback")]


def test_order_of_lists_does_not_matter():
    old = _doc()
    data = old.to_data()
    data["nodes"].reverse()
    data["edges"].reverse()
    assert diff_documents(old, parse_document(data)).is_empty
