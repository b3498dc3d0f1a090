"""The graph primitives, one small hand-built workflow at a time."""

from __future__ import annotations

from pydantic import TypeAdapter

from analysis.graph import Graph
from analysis.primitives import PRIMITIVES, Outcome
from analysis.ruleset import Condition
from studio.catalogue import load_catalogue
from tests.analysis.helpers import make_doc

_CONDITION = TypeAdapter(Condition)


def run(condition: dict, doc) -> Outcome:
    cond = _CONDITION.validate_python(condition)
    return PRIMITIVES[cond.kind](cond, Graph(doc, load_catalogue()))


def ids(doc, outcome: Outcome) -> list[str]:
    return sorted(doc.nodes[i].id for i in outcome.nodes)


INJECTION = {
    "kind": "path_passes",
    "sources": {"trusted": False},
    "targets": ["llm_call", "agent"],
    "via": ["injection_filter"],
}


# --- path_passes ------------------------------------------------------------------------------


def test_path_passes_met_when_every_path_is_guarded():
    doc = make_doc({"u": "user_input", "f": "injection_filter", "m": "llm_call", "r": "response"}, "u>f>m>r")
    out = run(INJECTION, doc)
    assert out.status == "met"
    assert ids(doc, out) == ["f"]  # the guard is named as evidence


def test_path_passes_missing_with_shortest_witness_path():
    doc = make_doc(
        {"u": "user_input", "t1": "transform", "t2": "transform", "t3": "transform", "m": "llm_call"},
        "u>t1>t2>t3>m, u>m",
    )
    out = run(INJECTION, doc)
    assert out.status == "missing"
    assert [[doc.nodes[i].id for i in p] for p in out.paths] == [["u", "m"]]


def test_path_passes_partial_when_one_entry_point_is_unguarded():
    doc = make_doc(
        {"u": "user_input", "d": "document_input", "f": "injection_filter", "m": "llm_call"},
        "u>f>m, d>m",
    )
    out = run(INJECTION, doc)
    assert out.status == "partial"
    assert [[doc.nodes[i].id for i in p] for p in out.paths] == [["d", "m"]]
    assert "from 1 of 2" in out.actual


def test_path_passes_partial_when_one_target_is_unguarded():
    doc = make_doc(
        {"u": "user_input", "f": "injection_filter", "m1": "llm_call", "m2": "llm_call"},
        "u>f>m1, u>m2",
    )
    assert run(INJECTION, doc).status == "partial"


def test_path_passes_reports_a_target_reached_through_another_target():
    # u → m1 → m2: both model steps are reached without a filter; each gets its witness path.
    doc = make_doc({"u": "user_input", "m1": "llm_call", "m2": "agent"}, "u>m1>m2")
    out = run(INJECTION, doc)
    assert out.status == "missing"
    assert [[doc.nodes[i].id for i in p] for p in out.paths] == [["u", "m1"], ["u", "m1", "m2"]]


def test_path_passes_not_applicable_without_sources_targets_or_paths():
    assert run(INJECTION, make_doc({"m": "llm_call"})).status == "not_applicable"
    assert run(INJECTION, make_doc({"u": "user_input"})).status == "not_applicable"
    unconnected = run(INJECTION, make_doc({"u": "user_input", "m": "llm_call"}))
    assert unconnected.status == "not_applicable"
    assert "no path" in unconnected.actual


def test_path_passes_follows_only_the_given_edge_kinds():
    doc = make_doc({"u": "user_input", "h": "human_review", "m": "llm_call"}, "u>h, h>m:escalation")
    assert run(INJECTION, doc).status == "missing"
    data_only = {**INJECTION, "edge_kinds": ["data"]}
    assert run(data_only, doc).status == "not_applicable"


def test_path_passes_via_selector_with_config_filter():
    cond = {
        "kind": "path_passes",
        "sources": ["llm_call"],
        "targets": {"categories": ["sink"]},
        "via": [{"types": ["output_validator"], "present": ["schema_ref"]}],
    }
    bare = make_doc({"m": "llm_call", "v": "output_validator", "r": "response"}, "m>v>r")
    assert run(cond, bare).status == "missing"
    good = make_doc(
        {"m": "llm_call", "v": ("output_validator", {"schema_ref": "s.json"}), "r": "response"}, "m>v>r"
    )
    assert run(cond, good).status == "met"


# --- node_has_config --------------------------------------------------------------------------


def test_node_has_config_checks():
    doc = make_doc(
        {
            "a": ("tracing", {"retention_days": 90, "captures": ["input_hash", "cost"], "replayable": True}),
            "b": ("tracing", {"retention_days": 7, "captures": ["input_hash", "output_hash"]}),
        }
    )
    base = {"kind": "node_has_config", "nodes": ["tracing"]}
    assert (
        run({**base, "fields": ["retention_days"], "check": "at_least", "value": 30}, doc).status == "partial"
    )
    assert run({**base, "fields": ["retention_days"], "check": "at_most", "value": 100}, doc).status == "met"
    assert run({**base, "fields": ["replayable"], "check": "equals", "value": True}, doc).status == "partial"
    assert run({**base, "fields": ["backend"]}, doc).status == "missing"
    contains = {
        **base,
        "fields": ["captures"],
        "check": "contains_all",
        "value": ["input_hash", "output_hash"],
    }
    out = run(contains, doc)
    assert out.status == "partial"  # b has both, a only one of the two
    assert ids(doc, out) == ["a"]


def test_node_has_config_one_of_and_quantifier_any():
    doc = make_doc(
        {"a": ("output_validator", {"on_fail": "log_only"}), "b": ("output_validator", {"on_fail": "block"})}
    )
    cond = {
        "kind": "node_has_config",
        "nodes": ["output_validator"],
        "fields": ["on_fail"],
        "check": "one_of",
        "value": ["block"],
    }
    assert run(cond, doc).status == "partial"
    assert run({**cond, "quantifier": "any"}, doc).status == "met"


def test_node_has_config_flag_does_not_match_a_number():
    doc = make_doc({"a": ("tracing", {"retention_days": 1})})
    cond = {
        "kind": "node_has_config",
        "nodes": ["tracing"],
        "fields": ["retention_days"],
        "check": "equals",
        "value": True,
    }
    assert run(cond, doc).status == "missing"


def test_node_has_config_if_none():
    cond = {
        "kind": "node_has_config",
        "nodes": ["rollback"],
        "fields": ["automatic"],
        "check": "equals",
        "value": True,
    }
    empty = make_doc({"m": "llm_call"})
    assert run(cond, empty).status == "not_applicable"
    assert run({**cond, "if_none": "missing"}, empty).status == "missing"


def test_node_has_config_or_adjacent_through_controls():
    cond = {
        "kind": "node_has_config",
        "nodes": ["llm_call"],
        "fields": ["model_version"],
        "or_adjacent": [{"types": ["version_pin"], "present": ["pinned_version"]}],
    }
    pinned = make_doc(
        {"m": "llm_call", "c": "canary_release", "p": ("version_pin", {"pinned_version": "v1"})},
        "p>c>m",
    )
    assert run(cond, pinned).status == "met"
    bare_pin = make_doc({"m": "llm_call", "p": "version_pin"}, "p>m")
    assert run(cond, bare_pin).status == "missing"
    # Through a processing step does not count: the pin belongs to the other model.
    other = make_doc(
        {"m": "llm_call", "t": "transform", "p": ("version_pin", {"pinned_version": "v1"})}, "p>t>m"
    )
    assert run(cond, other).status == "missing"


# --- exists, attached, has_edge, forbidden_value ----------------------------------------------


def test_exists_met_partial_missing():
    cond = {"kind": "exists", "nodes": ["alerting"], "connected_to": ["tracing"]}
    assert run(cond, make_doc({"m": "llm_call"})).status == "missing"
    assert run(cond, make_doc({"a": "alerting", "t": "tracing"})).status == "partial"
    assert run(cond, make_doc({"a": "alerting", "t": "tracing"}, "t>a")).status == "met"


def test_exists_reachable_from():
    cond = {"kind": "exists", "nodes": ["audit_log"], "reachable_from": {"trusted": False}}
    assert (
        run(cond, make_doc({"u": "user_input", "m": "llm_call", "l": "audit_log"}, "u>m>l")).status == "met"
    )
    assert (
        run(cond, make_doc({"u": "user_input", "m": "llm_call", "l": "audit_log"}, "u>m, l>m")).status
        == "partial"
    )


def test_attached_directly_or_through_control_steps():
    cond = {"kind": "attached", "nodes": ["llm_call"], "to": ["tracing"]}
    doc = make_doc(
        {
            "m1": "llm_call",
            "m2": "llm_call",
            "m3": "llm_call",
            "t": "tracing",
            "v": "output_validator",
            "x": "transform",
        },
        "m1>t, m2>v>t, m3>x>t",
    )
    out = run(cond, doc)
    assert out.status == "partial"
    assert ids(doc, out) == ["m3"]  # a processing step in between breaks the attachment


def test_attached_or_anywhere_covers_every_step():
    cond = {
        "kind": "attached",
        "nodes": ["llm_call"],
        "to": ["tracing"],
        "or_anywhere": [{"types": ["audit_log"], "where": {"immutable": True}}],
    }
    doc = make_doc({"m": "llm_call", "l": ("audit_log", {"immutable": True})})
    assert run(cond, doc).status == "met"
    assert run(cond, make_doc({"m": "llm_call", "l": "audit_log"})).status == "missing"


def test_has_edge_all_and_any():
    doc = make_doc(
        {"v1": "output_validator", "v2": "output_validator", "h": "human_review"},
        "v1>h:escalation, v2>h",
    )
    cond = {
        "kind": "has_edge",
        "nodes": ["output_validator"],
        "edge_kinds": ["escalation"],
        "to": ["human_review"],
    }
    assert run(cond, doc).status == "partial"
    assert run({**cond, "quantifier": "any"}, doc).status == "met"


def test_forbidden_value_on_scalar_and_list_fields():
    cond = {"kind": "forbidden_value", "nodes": ["agent"], "field": "autonomy_level", "values": ["L4"]}
    assert run(cond, make_doc({"a": ("agent", {"autonomy_level": "L3"})})).status == "met"
    assert run(cond, make_doc({"a": ("agent", {"autonomy_level": "L4"})})).status == "missing"
    assert run(cond, make_doc({"m": "llm_call"})).status == "not_applicable"
    creds = {
        "kind": "forbidden_value",
        "nodes": ["llm_call"],
        "field": "data_categories",
        "values": ["credentials"],
    }
    assert (
        run(creds, make_doc({"m": ("llm_call", {"data_categories": ["public", "credentials"]})})).status
        == "missing"
    )


# --- fallback_to_other_vendor -----------------------------------------------------------------

FALLBACK = {
    "kind": "fallback_to_other_vendor",
    "nodes": ["llm_call", "agent"],
    "edge_kinds": ["fallback"],
    "routers": ["fallback_router"],
}


def test_fallback_direct_edge_to_another_vendor():
    doc = make_doc(
        {"a": ("llm_call", {"vendor": "OpenAI"}), "b": ("llm_call", {"vendor": "Anthropic"})},
        "a>b:fallback",
    )
    out = run(FALLBACK, doc)
    assert out.status == "met"  # b is the fallback itself and is not asked for one


def test_fallback_through_a_router_and_other_controls():
    doc = make_doc(
        {
            "r": "fallback_router",
            "cb": "circuit_breaker",
            "a": ("llm_call", {"vendor": "OpenAI"}),
            "b": ("llm_call", {"vendor": "Mistral"}),
        },
        "r>cb>a, r>b:fallback",
    )
    assert run(FALLBACK, doc).status == "met"


def test_fallback_same_or_unknown_vendor_is_partial():
    same = make_doc(
        {"a": ("llm_call", {"vendor": "OpenAI"}), "b": ("llm_call", {"vendor": "openai "})},
        "a>b:fallback",
    )
    assert run(FALLBACK, same).status == "partial"  # vendors compare case- and space-insensitively
    unknown = make_doc({"a": "llm_call", "b": ("llm_call", {"vendor": "Mistral"})}, "a>b:fallback")
    assert run(FALLBACK, unknown).status == "partial"
    none = make_doc(
        {"a": ("llm_call", {"vendor": "OpenAI"}), "b": ("llm_call", {"vendor": "Mistral"})}, "a>b"
    )
    assert run(FALLBACK, none).status == "missing"


def test_fallback_partial_over_several_steps():
    doc = make_doc(
        {
            "a": ("llm_call", {"vendor": "OpenAI"}),
            "b": ("llm_call", {"vendor": "Anthropic"}),
            "c": ("llm_call", {"vendor": "Cohere"}),
        },
        "a>b:fallback, b>c",
    )
    out = run(FALLBACK, doc)
    assert out.status == "partial"
    assert ids(doc, out) == ["c"]


def test_fallback_same_vendor_only_is_partial_per_step():
    doc = make_doc(
        {
            "a": ("llm_call", {"vendor": "OpenAI"}),
            "a2": ("llm_call", {"vendor": "OpenAI"}),
            "b": ("llm_call", {"vendor": "Anthropic"}),
            "b2": ("llm_call", {"vendor": "Mistral"}),
        },
        "a>a2:fallback, b>b2:fallback",
    )
    out = run(FALLBACK, doc)
    assert out.status == "partial"
    assert ids(doc, out) == ["a"]
