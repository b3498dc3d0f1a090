import json

import pytest

from lib.errors import DomainError
from studio.convert import import_any
from studio.templates_data import load_template


def test_our_json_round_trips_through_import():
    doc = load_template("rag-assistant")
    res = import_any("rag.json", doc.canonical().encode())
    assert res.source_format == "workflowos"
    assert res.document.content_hash() == doc.content_hash()
    assert res.unmapped == []


def test_our_json_without_positions_is_laid_out():
    data = {
        "format": "workflowos.workflow/v1",
        "name": "x",
        "nodes": [{"id": "a", "type": "user_input", "label": "A"}],
    }
    res = import_any(None, json.dumps(data).encode())
    assert res.document.nodes[0].position is not None
    assert any(line.startswith("positions:") for line in res.mapped)


def test_our_json_errors_carry_json_paths():
    data = {
        "format": "workflowos.workflow/v1",
        "name": "x",
        "nodes": [{"id": "a", "type": "llm_call", "label": "A", "config": {"autonomy_level": "L9"}}],
    }
    with pytest.raises(DomainError) as exc:
        import_any("x.json", json.dumps(data).encode())
    assert exc.value.errors[0].path == "nodes[0].config.autonomy_level"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"\x00\x01garbage", "not"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "not a workflow we can import"),
        (b'{"hello": "world"}', "not a workflow we can import"),
        (b'{"format": "other/v9", "nodes": []}', "is not workflowos.workflow/v1"),
        ("caf\u00e9".encode("latin-1"), "not UTF-8"),
    ],
)
def test_garbage_is_refused_with_a_clear_message(content, fragment):
    with pytest.raises(DomainError) as exc:
        import_any("file.json", content)
    assert fragment in exc.value.message


def test_unknown_format_message_lists_supported_formats():
    with pytest.raises(DomainError) as exc:
        import_any("file.json", b'{"nodes": [{"id": 1}]}')
    assert (
        "n8n" in exc.value.message
        and ".wfos" in exc.value.message
        and "workflowos.workflow/v1" in exc.value.message
    )


def test_oversized_upload_is_413():
    with pytest.raises(DomainError) as exc:
        import_any("big.json", b" " * (5 * 1024 * 1024 + 1))
    assert exc.value.status == 413


def test_utf8_bom_is_accepted():
    data = {"format": "workflowos.workflow/v1", "name": "x"}
    assert import_any("x.json", b"\xef\xbb\xbf" + json.dumps(data).encode()).document.name == "x"


def test_result_to_data_is_json_able():
    res = import_any("x.json", load_template("email-triage").canonical().encode())
    data = json.loads(json.dumps(res.to_data()))
    assert data["source_format"] == "workflowos"
    assert data["document"]["format"] == "workflowos.workflow/v1"
