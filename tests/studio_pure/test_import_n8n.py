import json
from pathlib import Path

import pytest

from lib.errors import DomainError
from studio.convert import import_any
from studio.convert.n8n import convert_n8n

SAMPLE = (Path(__file__).with_name("samples") / "n8n_support_agent.json").read_bytes()
ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"


@pytest.fixture(scope="module")
def result():
    return import_any("support.json", SAMPLE)


def _by_label(result, label):
    return next(n for n in result.document.nodes if n.label == label)


def test_detected_as_n8n(result):
    assert result.source_format == "n8n"
    assert result.document.name == "Customer support agent (n8n)"
    assert "Tags: support, ai." in result.document.description


def test_node_types_are_mapped(result):
    types = {n.label: n.type for n in result.document.nodes}
    assert types["Webhook"] == "api_input"
    assert types["When chat message received"] == "user_input"
    assert types["AI Agent"] == "agent"
    assert types["OpenAI Chat Model"] == "llm_call"
    assert types["Order lookup"] == "tool_call"
    assert types["Calculator"] == "tool_call"
    assert types["HTTP Request"] == "tool_call"
    assert types["Structured Output Parser"] == "output_validator"
    assert types["Needs human?"] == "transform"
    assert types["Edit Fields"] == "transform"
    assert types["Send email"] == "message_send"
    assert types["Send/email"] == "message_send"
    assert types["Save ticket"] == "database_write"
    assert types["Respond to Webhook"] == "response"
    assert "Sticky Note" not in types


def test_model_settings_come_from_parameters_and_reach_the_agent(result):
    model = _by_label(result, "OpenAI Chat Model")
    assert model.config == {
        "vendor": "openai",
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 800,
        "timeout_ms": 30000,
    }
    agent = _by_label(result, "AI Agent")
    assert agent.config["vendor"] == "openai" and agent.config["model"] == "gpt-4o-mini"
    assert agent.config["max_steps"] == 8
    assert agent.config["allowed_tools"] == ["Order lookup", "Calculator"]
    assert "System message: You are Acme's support assistant" in agent.config["notes"]
    assert _by_label(result, "Webhook").config == {"endpoint": "support", "authenticated": True}
    assert _by_label(result, "Save ticket").config["table"] == "tickets"
    assert _by_label(result, "Send email").config["channel"] == "email"
    assert _by_label(result, "Send/email").config["channel"] == "chat"


def test_ids_are_sanitised_and_unique(result):
    ids = [n.id for n in result.document.nodes]
    assert len(ids) == len(set(ids))
    import re

    assert all(re.match(ID_PATTERN, i) for i in ids)
    assert _by_label(result, "Send email").id == "Send_email"
    assert _by_label(result, "Send/email").id == "Send_email_2"
    long = next(n for n in result.document.nodes if n.label.startswith("Sentiment"))
    assert len(long.id) == 64 and "<" not in long.id


def test_connections_become_edges(result):
    doc = result.document
    name = {n.id: n.label for n in doc.nodes}
    edges = {(name[e.from_], name[e.to]): e for e in doc.edges}
    assert edges[("OpenAI Chat Model", "AI Agent")].label == "language model"
    assert edges[("Order lookup", "AI Agent")].label == "tool"
    assert edges[("Window Buffer Memory", "AI Agent")].label == "memory"
    # The output parser checks the agent's output: the agent's main edges leave from it.
    assert edges[("AI Agent", "Structured Output Parser")].label == "output parser"
    assert ("Structured Output Parser", "Needs human?") in edges
    assert ("AI Agent", "Needs human?") not in edges
    assert edges[("Needs human?", "Send email")].label == "true"
    assert edges[("Needs human?", "HTTP Request")].label == "false"
    assert edges[("HTTP Request", "Send/email")].kind == "fallback"
    assert edges[("HTTP Request", "Save ticket")].kind == "data"


def test_positions_are_kept(result):
    webhook = _by_label(result, "Webhook")
    assert (webhook.position.x, webhook.position.y) == (-620, 120)


def test_mapped_and_unmapped_lines(result):
    mapped, unmapped = "\n".join(result.mapped), "\n".join(result.unmapped)
    assert "→ agent (AI_Agent)" in mapped
    assert "agent AI_Agent: allowed tools = the 2 tool node(s)" in mapped
    assert "facts: audience set to external because its chat trigger is public" in mapped
    assert "'Needs human?' (n8n-nodes-base.if) → transform (conditions are not modelled" in unmapped
    assert "a sticky note is documentation" in unmapped
    assert "n8n-nodes-acme.magicBox): no matching step type; imported as a transform" in unmapped
    assert "connection 'Ghost node' → 'Save ticket' (main): left out" in unmapped


def test_label_with_markup_stays_text(result):
    assert any(n.label.startswith("Sentiment <script>alert(1)</script>") for n in result.document.nodes)


def test_loops_are_cut_and_reported():
    data = {
        "name": "loop",
        "nodes": [
            {"name": "Start", "type": "n8n-nodes-base.manualTrigger", "position": [0, 0], "parameters": {}},
            {
                "name": "Batch",
                "type": "n8n-nodes-base.splitInBatches",
                "position": [200, 0],
                "parameters": {},
            },
            {
                "name": "Work",
                "type": "n8n-nodes-base.code",
                "position": [400, 0],
                "parameters": {"jsCode": "return items;"},
            },
        ],
        "connections": {
            "Start": {"main": [[{"node": "Batch", "type": "main", "index": 0}]]},
            "Batch": {"main": [[], [{"node": "Work", "type": "main", "index": 0}]]},
            "Work": {"main": [[{"node": "Batch", "type": "main", "index": 0}]]},
        },
    }
    res = convert_n8n(data)
    assert len(res.document.edges) == 2
    assert any("loops back" in line for line in res.unmapped)


def test_bad_n8n_shapes_are_refused_with_paths():
    bad = {"nodes": [{"type": "n8n-nodes-base.set"}], "connections": {}}
    with pytest.raises(DomainError) as exc:
        convert_n8n(bad)
    assert exc.value.errors[0].path == "nodes[0].name"
    with pytest.raises(DomainError):
        import_any(
            "x.json",
            json.dumps({"nodes": [{"name": "a", "type": "n8n-nodes-base.set"}], "connections": []}).encode(),
        )
