import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

from lib.errors import DomainError
from studio.convert import import_any
from studio.convert.legacy import convert_legacy

SAMPLES = Path(__file__).with_name("samples")
LEGACY = (SAMPLES / "legacy_workflow.json").read_bytes()
MANIFEST = {
    "formatVersion": "1",
    "title": "Supplier invoice processing",
    "description": "AP automation map",
    "author": "Dana Example",
    "version": "4",
    "tags": ["finance", "ap"],
    "licence": "CC-BY-4.0",
}


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _wfos(**extra: bytes) -> bytes:
    return _zip({"manifest.json": json.dumps(MANIFEST).encode(), "workflow.json": LEGACY, **extra})


@pytest.fixture(scope="module")
def result():
    return import_any("invoice.json", LEGACY)


def _node(result, node_id):
    return next(n for n in result.document.nodes if n.id == node_id)


def _edge(result, edge_id):
    return next(e for e in result.document.edges if e.id == edge_id)


def test_detected_as_legacy_json(result):
    assert result.source_format == "legacy-json"
    assert result.document.name == "Supplier invoice processing"
    assert "Objective: Cut manual" in result.document.description
    assert result.mapped[0].startswith("workflow 'Supplier invoice processing': 17 step(s)")


def test_skill_with_low_autonomy_becomes_llm_call_keeping_its_settings(result):
    n = _node(result, "n-extract")
    assert n.type == "llm_call"
    assert n.config["autonomy_level"] == "L1"
    assert n.config["risk_category"] == "financial"
    assert n.config["vendor"] == "openai"
    assert n.config["model"] == "gpt-4o-2024-08-06"
    assert n.config["owner"] == "ap-automation@acme.test"
    assert n.config["timeout_ms"] == 30000
    assert "Retry policy: up to 3 attempts" in n.config["notes"]
    assert any(
        "blast radius maxCostUsd, noNetworkAccess kept in notes only" in line for line in result.unmapped
    )


def test_skill_with_apis_and_level_two_becomes_agent_with_blast_radius(result):
    n = _node(result, "n-match")
    assert n.type == "agent"
    assert n.config["autonomy_level"] == "L2"
    assert n.config["vendor"] == "anthropic"
    assert n.config["allowed_paths"] == ["/po/*"]
    assert n.config["blocked_paths"] == ["/payroll/*"]
    assert n.config["allowed_apis"] == ["erp.purchase_orders.read"]
    assert n.config["network_access"] is True
    assert n.config["max_runtime_seconds"] == 120
    assert n.config["max_cost_usd"] == 0.5
    assert any(
        "agent because autonomy level 2, its blast radius grants APIs/tools" in line for line in result.mapped
    )


def test_schema_validation_adds_an_output_validator_in_the_path_and_says_so(result):
    v = _node(result, "n-extract.validation")
    assert v.type == "output_validator"
    assert v.config["schema_ref"] == "invoice.schema.json"
    out_of_skill = [e for e in result.document.edges if e.from_ == "n-extract"]
    assert [(e.to, e.kind) for e in out_of_skill] == [("n-extract.validation", "data")]
    assert _edge(result, "e2").from_ == "n-extract.validation"
    assert any("output validator n-extract.validation added" in line for line in result.mapped)


def test_untyped_validation_is_only_noted(result):
    draft = _node(result, "n-draft")
    assert "Validations: Tone reviewed" in draft.config["notes"]
    assert not any(n.id.startswith("n-draft.") for n in result.document.nodes)
    assert any("no output validator added because the source does not say" in line for line in result.mapped)


def test_artifacts_humans_integrations_systems(result):
    types = {n.id: n.type for n in result.document.nodes}
    assert types["n-invoice-json"] == "output_validator"
    assert _node(result, "n-invoice-json").config["schema_ref"] == "json: supplier, amount, iban, due_date"
    assert types["n-ledger"] == "database_write"
    assert types["n-report"] == "transform"
    assert types["n-approve"] == "approval_gate"
    assert _node(result, "n-approve").config["approver_role"] == "Finance controller"
    assert types["n-clerk"] == "human_review"
    assert _node(result, "n-clerk").config["reviewer_role"] == "AP clerk"
    assert types["n-file"] == "transform"
    assert types["n-inbox"] == "user_input"
    assert _node(result, "n-inbox").config["channel"] == "email"
    assert types["n-post"] == "side_effect"
    assert types["n-notify"] == "message_send"
    assert _node(result, "n-notify").config["channel"] == "email"
    assert types["n-portal"] == "tool_call"
    assert types["n-erp"] == "retrieval_source"
    assert types["n-cond"] == "transform"
    assert types["n-weird"] == "transform"
    assert "n-proposal" not in types


def test_edges_are_data_with_labels_and_escalation_from_policy(result):
    assert _edge(result, "e1").label == "PDF attachment"
    assert _edge(result, "e6").label == "over limit"  # condition_true without a label takes trueLabel
    assert _edge(result, "e7").label == "within limit"
    assert _edge(result, "e9").kind == "escalation"
    assert {e.kind for e in result.document.edges} == {"data", "escalation"}
    ids = {e.id for e in result.document.edges}
    assert not ids & {"e15", "e18", "e19", "e20", "e21"}


def test_unmapped_lines_give_reasons(result):
    text = "\n".join(result.unmapped)
    assert "proposal 'Add duplicate-invoice screening'" in text
    assert "edge e18" in text and "proposal edge left out" in text
    assert "edge e19" in text and "derived_invalidation edge left out" in text
    assert "edge e20" in text and "no node 'n-missing'" in text
    assert "unknown edge type 'annotation'" in text
    assert "edge e15" in text and "loops back" in text
    assert "unknown node type 'sticky'" in text
    assert "conditions are not modelled" in text
    assert "personal data" in text


def test_facts_inferred_from_risk_categories_are_explained(result):
    assert result.document.facts.audience == "external"
    assert result.document.facts.stakes == "high"
    assert result.document.facts.personal_data is False
    assert any(line.startswith("facts: stakes set to high") for line in result.mapped)


def test_positions_kept_and_missing_one_laid_out(result):
    assert (_node(result, "n-match").position.x, _node(result, "n-match").position.y) == (780, 200)
    assert _node(result, "n-weird").position is not None
    spots = [(n.position.x, n.position.y) for n in result.document.nodes]
    assert len(set(spots)) == len(spots)


def test_html_in_labels_is_kept_as_plain_text(result):
    assert _node(result, "n-draft").label == "Draft <b>supplier</b> reply"


def test_autonomy_levels_map_one_to_one():
    for level in range(4):
        data = {
            "name": "x",
            "nodes": [{"id": "s", "type": "skill", "data": {"name": "S", "autonomyLevel": level}}],
            "edges": [],
        }
        doc = convert_legacy(data).document
        assert doc.nodes[0].config["autonomy_level"] == f"L{level}"
        assert doc.nodes[0].type == ("agent" if level >= 2 else "llm_call")


def test_wrapped_workflow_and_ids_needing_sanitising():
    data = {
        "workflow": {
            "name": "w",
            "nodes": [
                {"id": "a b/c", "type": "skill", "data": {"name": "A"}},
                {"id": "a_b_c", "type": "human", "data": {"name": "B", "subtype": "judgment"}},
            ],
            "edges": [{"id": "x y", "source": "a b/c", "target": "a_b_c", "edgeType": "human"}],
        }
    }
    doc = convert_legacy(data).document
    assert [n.id for n in doc.nodes] == ["a_b_c", "a_b_c_2"]
    assert (doc.edges[0].from_, doc.edges[0].to, doc.edges[0].id) == ("a_b_c", "a_b_c_2", "x_y")


def test_bad_node_shapes_are_refused_with_paths():
    with pytest.raises(DomainError) as exc:
        convert_legacy({"name": "w", "nodes": [{"type": "skill", "data": {}}, 5], "edges": []})
    assert [e.path for e in exc.value.errors] == ["nodes[0].id", "nodes[1]"]


# --- .wfos ----------------------------------------------------------------------------------


def test_wfos_package_imports_with_manifest():
    res = import_any("invoice.wfos", _wfos())
    assert res.source_format == "legacy-wfos"
    assert len(res.document.nodes) == 17
    assert res.mapped[0].startswith("package manifest (formatVersion 1): title 'Supplier invoice processing'")
    assert "author 'Dana Example'" in res.mapped[0]


def test_wfos_detected_by_content_not_name():
    assert import_any("upload.bin", _wfos()).source_format == "legacy-wfos"
    assert import_any(None, _wfos()).source_format == "legacy-wfos"


def test_wfos_in_a_single_folder_and_without_manifest():
    res = import_any("x.wfos", _zip({"export/workflow.json": LEGACY}))
    assert len(res.document.nodes) == 17
    assert res.unmapped[0].startswith("package: no manifest.json")


def test_wfos_without_workflow_json_is_refused():
    with pytest.raises(DomainError) as exc:
        import_any("x.wfos", _zip({"manifest.json": json.dumps(MANIFEST).encode(), "readme.txt": b"hi"}))
    assert "no workflow.json" in exc.value.message
    assert exc.value.errors[0].path == "workflow.json"


def test_wfos_with_unsupported_format_version_is_refused():
    bad = dict(MANIFEST, formatVersion="2")
    with pytest.raises(DomainError) as exc:
        import_any("x.wfos", _zip({"manifest.json": json.dumps(bad).encode(), "workflow.json": LEGACY}))
    assert exc.value.errors[0].path == "manifest.json.formatVersion"


@pytest.mark.parametrize(
    "name", ["../evil.json", "/etc/passwd", "a/../../b.json", "C:/x.json", "a\\..\\b.json"]
)
def test_wfos_with_path_traversal_is_refused(name):
    with pytest.raises(DomainError) as exc:
        import_any("x.wfos", _wfos(**{name: b"{}"}))
    assert exc.value.message == "The package contains unsafe entries and was refused."
    assert exc.value.errors[0].path == name


def test_zip_bomb_is_refused_before_unpacking():
    bomb = _zip(
        {
            "manifest.json": json.dumps(MANIFEST).encode(),
            "workflow.json": LEGACY,
            "pad.bin": b"\0" * (6 * 1024 * 1024),
        }
    )
    assert len(bomb) < 100_000
    with pytest.raises(DomainError) as exc:
        import_any("x.wfos", bomb)
    assert exc.value.status == 413


def test_zip_with_lying_size_header_is_refused():
    big = b" " * (6 * 1024 * 1024) + LEGACY
    data = bytearray(_zip({"workflow.json": big}))
    # Claim 100 bytes uncompressed in both the local and the central header.
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 100)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    with pytest.raises(DomainError):
        import_any("x.wfos", bytes(data))


def test_non_zip_wfos_is_refused():
    with pytest.raises(DomainError) as exc:
        import_any("x.wfos", LEGACY)
    assert "not a .wfos package" in exc.value.message


def test_truncated_zip_is_refused():
    with pytest.raises(DomainError) as exc:
        import_any("x.wfos", _wfos()[:200])
    assert "ZIP" in exc.value.message or "cannot be read" in exc.value.message


def test_empty_legacy_map_is_recognised():
    data = {
        "name": "Empty",
        "workflowType": "current_state",
        "metadata": {"graphVersion": 1},
        "nodes": [],
        "edges": [],
    }
    res = import_any("workflow.json", json.dumps(data).encode())
    assert res.source_format == "legacy-json"
    assert res.document.nodes == []
    assert "Mapped as: current state" in res.document.description
