"""Properties of the analysis over generated workflows (hypothesis):

* adding a control step on a path never lowers a domain's score (nor the overall score);
* renaming step ids, or reordering steps and edges, changes no score and no status.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.engine import AnalysisResult, analyse
from studio.catalogue import load_catalogue
from studio.format import parse_document
from tests.analysis.helpers import rubric

CATALOGUE = load_catalogue()
INPUTS = [t.type for t in CATALOGUE.of_category("input")]
PROCESSING = [t.type for t in CATALOGUE.of_category("processing")]
CONTROLS = [t.type for t in CATALOGUE.of_category("control")]
SINKS = [t.type for t in CATALOGUE.of_category("sink")]

# Plausible values per config field; a generated step takes a random subset of those its type has.
VALUES: dict[str, list[Any]] = {
    "vendor": ["OpenAI", "Anthropic", "Mistral", "self-hosted"],
    "model_version": ["v1"],
    "autonomy_level": ["L0", "L1", "L2", "L3", "L4"],
    "timeout_ms": [0, 5000],
    "system_prompt_protected": [True, False],
    "data_categories": [["public"], ["personal"], ["special_category"], ["credentials"]],
    "kill_switch": [True, False],
    "max_steps": [5],
    "allowed_tools": [["search"]],
    "scopes": [["read"]],
    "reversible": [True, False],
    "authenticated": [True, False],
    "on_fail": ["block", "escalate", "fallback", "log_only"],
    "schema_ref": ["s.json"],
    "semantic_checks": [True, False],
    "pii_redacted": [True, False],
    "retention_days": [7, 30, 90],
    "captures": [["input_hash", "output_hash", "model_version", "latency", "tokens", "cost"], ["latency"]],
    "replayable": [True, False],
    "drift_signals": [True],
    "signals": [["error_rate", "p99_latency", "cost_anomaly", "validation_failure_rate"], ["error_rate"]],
    "alerting": [True, False],
    "sample_rate": [0.0, 0.05, 1.0],
    "automatic": [True, False],
    "tested": [True, False],
    "pinned_version": ["v1"],
    "registry": ["mlflow"],
    "eval_suite": ["golden"],
    "min_score": [0.9],
    "promotion_criteria": ["quality ≥ 0.9"],
    "immutable": [True],
    "max_length": [1000],
    "external_recipients": [True, False],
}


@st.composite
def workflows(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(min_value=3, max_value=18))
    nodes = []
    for i in range(size):
        group = draw(
            st.sampled_from(
                [INPUTS, PROCESSING, PROCESSING, ["llm_call", "agent"], CONTROLS, CONTROLS, SINKS]
            )
        )
        node_type = draw(st.sampled_from(group))
        info = CATALOGUE.get(node_type)
        assert info is not None
        config = {}
        for f in info.fields:
            if f.name in VALUES and draw(st.booleans()):
                config[f.name] = draw(st.sampled_from(VALUES[f.name]))
        nodes.append({"id": f"n{i}", "type": node_type, "label": node_type, "config": config})
    # Data edges only go forward (no data cycles); fallback and escalation edges go anywhere.
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    data = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=size * 2, unique=True))
    others = draw(
        st.lists(
            st.tuples(
                st.integers(0, size - 1),
                st.integers(0, size - 1),
                st.sampled_from(["fallback", "escalation"]),
            ),
            max_size=3,
        )
    )
    edges = [{"from": f"n{a}", "to": f"n{b}", "kind": "data"} for a, b in data]
    edges += [{"from": f"n{a}", "to": f"n{b}", "kind": k} for a, b, k in others if a != b]
    facts = {
        "personal_data": draw(st.booleans()),
        "stakes": draw(st.sampled_from(["low", "high"])),
        "audience": draw(st.sampled_from(["internal", "external"])),
        "regulated": draw(st.booleans()),
    }
    return {"name": "generated", "facts": facts, "nodes": nodes, "edges": edges}


def scores(result: AnalysisResult) -> dict[str, float | None]:
    return {d.code: d.score for d in result.domains}


def statuses(result: AnalysisResult) -> list[tuple[str, str]]:
    return [(f.rule_id, f.status) for f in result.findings]


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(data=workflows(), choice=st.data())
def test_adding_a_control_step_on_a_path_never_lowers_a_score(data, choice):
    before = analyse(parse_document(data), rubric())
    data_edges = [e for e in data["edges"] if e["kind"] == "data"]
    edge = choice.draw(st.sampled_from(data_edges))
    control = choice.draw(st.sampled_from(CONTROLS))
    grown = {
        **data,
        "nodes": [*data["nodes"], {"id": "added", "type": control, "label": "added control", "config": {}}],
        "edges": [e for e in data["edges"] if e is not edge]
        + [
            {"from": edge["from"], "to": "added", "kind": "data"},
            {"from": "added", "to": edge["to"], "kind": "data"},
        ],
    }
    after = analyse(parse_document(grown), rubric())
    for code, score in scores(before).items():
        if score is not None:
            assert scores(after)[code] is not None and scores(after)[code] >= score, (code, control, edge)
    if before.overall_score is not None:
        assert after.overall_score is not None and after.overall_score >= before.overall_score


@SETTINGS
@given(data=workflows(), seed=st.randoms(use_true_random=False))
def test_renaming_and_reordering_steps_changes_no_score(data, seed):
    before = analyse(parse_document(data), rubric())
    new_ids = [f"step-{i}" for i in range(len(data["nodes"]))]
    seed.shuffle(new_ids)
    rename = {n["id"]: new for n, new in zip(data["nodes"], new_ids, strict=True)}
    nodes = [{**n, "id": rename[n["id"]]} for n in data["nodes"]]
    edges = [{**e, "from": rename[e["from"]], "to": rename[e["to"]]} for e in data["edges"]]
    seed.shuffle(nodes)
    seed.shuffle(edges)
    after = analyse(parse_document({**data, "nodes": nodes, "edges": edges}), rubric())
    assert scores(after) == scores(before)
    assert after.overall_score == before.overall_score
    assert statuses(after) == statuses(before)
    assert [(c.code, c.score, c.status) for c in after.criteria] == [
        (c.code, c.score, c.status) for c in before.criteria
    ]
