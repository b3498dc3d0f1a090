import json
from pathlib import Path

import pytest

from lib.errors import DomainError
from studio.catalogue import load_catalogue
from studio.format import parse_document
from studio.templates_data import TEMPLATES_DIR, list_templates, load_index, load_template

ALL = [t.slug for t in list_templates(include_unlisted=True)]
MODEL_TYPES = ("llm_call", "agent")


def test_index_lists_every_template_file_and_nothing_else():
    files = {p.stem for p in TEMPLATES_DIR.glob("*.json")}
    assert files == set(ALL)


def test_required_patterns_and_every_domain_are_present():
    listed = list_templates()
    assert len(listed) >= 10
    slugs = {t.slug for t in listed}
    for slug in (
        "rag-assistant",
        "support-agent-tools",
        "document-extraction",
        "high-stakes-decision",
        "code-assistant",
        "internal-knowledge-search",
        "email-triage",
    ):
        assert slug in slugs
    assert {t.domain for t in listed if t.kind == "domain"} == {f"PSF-{i}" for i in range(1, 9)}
    assert "demo-unguarded-agent" not in slugs


@pytest.mark.parametrize("slug", ALL)
def test_template_is_a_valid_positioned_configured_document(slug):
    raw = json.loads((TEMPLATES_DIR / f"{slug}.json").read_text(encoding="utf-8"))
    doc = parse_document(raw)
    entry = load_index().get(slug)
    assert doc.name == entry.title
    assert doc.description
    assert all(n.position is not None for n in doc.nodes)
    assert len({(n.position.x, n.position.y) for n in doc.nodes}) == len(doc.nodes)
    cat = load_catalogue()
    categories = {cat.get(n.type).category for n in doc.nodes}
    assert {"input", "processing", "sink"} <= categories
    models = [n for n in doc.nodes if n.type in MODEL_TYPES]
    assert models and all(
        n.config.get("vendor") and n.config.get("model") and n.config.get("autonomy_level") for n in models
    )
    assert load_template(slug) == doc


@pytest.mark.parametrize("slug", [s for s in ALL if s != "demo-unguarded-agent"])
def test_good_templates_pin_model_versions_and_have_controls(slug):
    doc = load_template(slug)
    cat = load_catalogue()
    assert all(n.config.get("model_version") for n in doc.nodes if n.type in MODEL_TYPES)
    assert sum(1 for n in doc.nodes if cat.get(n.type).category == "control") >= 3
    assert all(n.config.get("autonomy_level") != "L4" for n in doc.nodes)


def test_reference_templates_show_their_own_domain_controls():
    cat = load_catalogue()
    for entry in list_templates():
        if entry.kind != "domain":
            continue
        doc = load_template(entry.slug)
        evidenced = {d for n in doc.nodes for d in cat.get(n.type).domains}
        assert entry.domain in evidenced, entry.slug


def test_demo_workflow_is_deliberately_weak():
    doc = load_template("demo-unguarded-agent")
    types = {n.type for n in doc.nodes}
    assert doc.facts.personal_data and doc.facts.audience == "external"
    agent = next(n for n in doc.nodes if n.type == "agent")
    assert agent.config["autonomy_level"] == "L4"
    assert "model_version" not in agent.config
    assert "tool_call" in types
    assert not types & {
        "input_validator",
        "injection_filter",
        "output_validator",
        "tracing",
        "fallback_router",
    }
    assert all(e.kind == "data" for e in doc.edges)


def test_unknown_template_is_404():
    with pytest.raises(DomainError) as exc:
        load_template("nope")
    assert exc.value.status == 404


def test_index_refuses_bad_entries(tmp_path: Path):
    bad = tmp_path / "index.yaml"
    bad.write_text(
        "schema: workflowos.templates/v1\ntemplates:\n  - {slug: a, title: A, description: d, kind: domain}\n"
    )
    with pytest.raises(DomainError):
        load_index(bad)
