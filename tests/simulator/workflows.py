"""Minimal workflow builders for the simulator tests."""

from __future__ import annotations

import itertools
from typing import Any

from simulator.catalogue import load_simulation_catalogue
from simulator.params import SimulationParams
from studio.format import WorkflowDocument, parse_document


def node(id_: str, type_: str, **config: Any) -> dict[str, Any]:
    return {"id": id_, "type": type_, "label": id_, "config": config}


def doc(
    nodes: list[dict[str, Any]], edges: list[tuple[str, str] | tuple[str, str, str]], **facts: Any
) -> WorkflowDocument:
    return parse_document(
        {
            "name": "test workflow",
            "facts": facts,
            "nodes": nodes,
            "edges": [{"from": e[0], "to": e[1], "kind": e[2] if len(e) > 2 else "data"} for e in edges],
        }
    )


def chain(
    *nodes: dict[str, Any],
    extra_nodes: tuple[dict[str, Any], ...] = (),
    extra_edges: tuple[tuple[str, ...], ...] = (),
    **facts: Any,
) -> WorkflowDocument:
    """Nodes joined by data edges in the order given, plus extra nodes and edges."""
    ids = [n["id"] for n in nodes]
    edges: list[Any] = list(itertools.pairwise(ids)) + list(extra_edges)
    return doc([*nodes, *extra_nodes], edges, **facts)


def only(scenario_id: str, **extra: Any) -> SimulationParams:
    """Parameters whose traffic mix is a single scenario."""
    weights = {s.id: 0.0 for s in load_simulation_catalogue().scenarios.scenarios}
    weights[scenario_id] = 1.0
    return SimulationParams.model_validate({"scenario_weights": weights, **extra})


def threat_workflow(scenario_id: str, control: dict[str, Any] | None) -> WorkflowDocument:
    """The smallest workflow in which the scenario can enter and do harm, with ``control`` (a
    node dict or None) placed where it acts: on the path just before the harm, or attached to
    the model call for attached/workflow-wide controls."""
    cat = load_simulation_catalogue()
    s = cat.scenarios.get(scenario_id)
    assert s is not None
    facts = {"stakes": "high"} if s.requires_facts else {}
    entry = {
        "input": [node("user", "user_input")],
        "retrieval": [node("src", "retrieval_source"), node("retr", "retrieval")],
        "model_output": [node("user", "user_input")],
        "vendor": [node("user", "user_input")],
        "telemetry": [node("user", "user_input")],
    }[s.enters]
    llm = node("llm", "llm_call", vendor="openai")
    harm = s.harm or "any_sink"
    tail = (
        [node("tool", "tool_call"), node("act", "side_effect")]
        if harm == "action"
        else [node("out", "response")]
    )
    extra_nodes: list[dict[str, Any]] = []
    extra_edges: list[tuple[str, ...]] = []
    if s.enters == "telemetry":
        extra_nodes.append(node("trace", "tracing"))
        extra_edges.append(("llm", "trace"))
    if control is None:
        return chain(
            *entry, llm, *tail, extra_nodes=tuple(extra_nodes), extra_edges=tuple(extra_edges), **facts
        )
    scope = cat.behaviour.controls[control["type"]].scope
    if scope == "path":
        body = [control, llm, *tail] if harm == "model" else [llm, control, *tail]
        return chain(*entry, *body, extra_nodes=tuple(extra_nodes), extra_edges=tuple(extra_edges), **facts)
    attach_to = "trace" if scope == "workflow" else "llm"
    extra_nodes.append(control)
    extra_edges.append((attach_to, control["id"]))
    return chain(*entry, llm, *tail, extra_nodes=tuple(extra_nodes), extra_edges=tuple(extra_edges), **facts)
