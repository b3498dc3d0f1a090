import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.canonical import canonical_json
from lib.errors import DomainError
from simulator.catalogue import load_simulation_catalogue
from simulator.engine import CHUNK_SIZE, SimulationCancelled, simulate
from simulator.params import SimulationParams
from simulator.report import wilson_interval
from tests.simulator.workflows import chain, node


def rag_workflow():
    return chain(
        node("user", "user_input"),
        node("inject", "injection_filter"),
        node("redact", "pii_redactor"),
        node("retrieve", "retrieval"),
        node("llm", "llm_call", vendor="openai", timeout_ms=8_000),
        node("check", "output_validator", semantic_checks=True),
        node("review", "human_review", sample_rate=0.1),
        node("out", "response"),
        extra_nodes=(
            node("docs", "retrieval_source"),
            node("backup", "llm_call", vendor="anthropic"),
            node("trace", "tracing"),
            node("alerts", "alerting"),
        ),
        extra_edges=(
            ("docs", "retrieve"),
            ("llm", "backup", "fallback"),
            ("backup", "check"),
            ("llm", "trace"),
            ("trace", "alerts"),
        ),
        stakes="high",
    )


def fingerprint(report):
    return canonical_json(report.to_data()), list(report.journal_lines())


# --- reproducibility ----------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_report_and_journal():
    wf = rag_workflow()
    params = SimulationParams.model_validate({"tolerances": {"max_escape_rate": 0.05}})
    a = simulate(wf, n=CHUNK_SIZE + 1_234, seed=42, params=params)
    b = simulate(wf, n=CHUNK_SIZE + 1_234, seed=42, params=params)
    assert fingerprint(a) == fingerprint(b)
    out_a, out_b = io.StringIO(), io.StringIO()
    a.write_journal(out_a)
    b.write_journal(out_b)
    assert out_a.getvalue() == out_b.getvalue()


def test_a_different_seed_gives_a_different_run():
    wf = rag_workflow()
    assert fingerprint(simulate(wf, n=2_000, seed=1)) != fingerprint(simulate(wf, n=2_000, seed=2))


def test_results_do_not_depend_on_list_order_in_the_document():
    wf = rag_workflow()
    data = wf.to_data()
    shuffled = {**data, "nodes": list(reversed(data["nodes"])), "edges": list(reversed(data["edges"]))}
    from studio.format import parse_document

    assert fingerprint(simulate(parse_document(shuffled), n=3_000, seed=5)) == fingerprint(
        simulate(wf, n=3_000, seed=5)
    )


def test_chunks_are_seeded_independently_of_the_run_length():
    wf = rag_workflow()
    short = simulate(wf, n=CHUNK_SIZE, seed=9)
    longer = simulate(wf, n=CHUNK_SIZE + 500, seed=9)
    assert list(short.journal_lines()) == list(longer.journal_lines())[:CHUNK_SIZE]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**63 - 1), n=st.integers(min_value=1, max_value=3_000))
def test_property_determinism_over_seeds_and_sizes(seed, n):
    wf = rag_workflow()
    a = simulate(wf, n=n, seed=seed)
    b = simulate(wf, n=n, seed=seed)
    assert fingerprint(a) == fingerprint(b)
    data = a.to_data()
    assert sum(o["count"] for o in data["summary"]["outcomes"].values()) == n
    assert sum(s["requests"] for s in data["scenarios"]) == n


def test_report_records_what_is_needed_to_rerun_it():
    wf = rag_workflow()
    params = SimulationParams.model_validate(
        {"tolerances": {"max_escape_rate": 0.02}, "scenario_weights": {"benign": 5.0}}
    )
    p = simulate(wf, n=1_000, seed=77, params=params).to_data()["params"]
    assert p["workflow"]["hash"] == wf.content_hash()
    assert p["seed"] == 77 and p["n"] == 1_000
    assert p["catalogue"]["scenarios_version"] == "1" and len(p["catalogue"]["hash"]) == 64
    assert p["simulation"]["tolerances"]["max_escape_rate"] == 0.02
    assert p["simulation"]["scenario_weights"] == {"benign": 5.0}
    assert p["engine"] and p["chunk_size"] == CHUNK_SIZE


# --- limits and parameters ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -5, 1_000_001, 2.5, True])
def test_request_count_is_capped_with_a_clear_message(n):
    with pytest.raises(ValueError, match="request"):
        simulate(rag_workflow(), n=n, seed=0)


def test_one_million_is_the_cap_message():
    with pytest.raises(ValueError, match=r"at most 1,000,000 requests per run"):
        simulate(rag_workflow(), n=1_000_001, seed=0)


def test_bad_seed_is_refused():
    with pytest.raises(ValueError, match="seed"):
        simulate(rag_workflow(), n=10, seed=-1)


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"tolerances": {"max_escape_rate": 1.5}}, "params.tolerances.max_escape_rate"),
        ({"tolerances": {"max_escape_rate": "0.1"}}, "params.tolerances.max_escape_rate"),
        ({"scenario_weights": {"benign": -1.0}}, "params.scenario_weights.benign"),
        ({"colour": "red"}, "params.colour"),
        ({"scenario_weights": {"nope": 1.0}}, "params.scenario_weights.nope"),
        ({"node_overrides": {"ghost": {"detection_rate": 0.5}}}, "params.node_overrides.ghost"),
        (
            {"node_overrides": {"inject": {"detection": {"toxic_output": 0.5}}}},
            "params.node_overrides.inject.detection.toxic_output",
        ),
        (
            {"scenario_weights": dict.fromkeys(load_simulation_catalogue().scenarios.ids(), 0.0)},
            "params.scenario_weights",
        ),
    ],
)
def test_invalid_params_are_refused_with_a_path(params, path):
    with pytest.raises(DomainError) as exc:
        simulate(rag_workflow(), n=10, seed=0, params=params)
    assert any(line.startswith(path) for line in exc.value.lines()), exc.value.lines()


def test_node_override_sets_the_catch_rate():
    from tests.simulator.workflows import only

    wf = chain(
        node("user", "user_input"),
        node("f", "injection_filter"),
        node("llm", "llm_call"),
        node("out", "response"),
    )
    params = only("prompt_injection_direct", node_overrides={"f": {"detection_rate": 0.5}})
    data = simulate(wf, n=4_000, seed=1, params=params).to_data()
    caught = next(s for s in data["scenarios"] if s["id"] == "prompt_injection_direct")["outcomes"]["caught"]
    assert abs(caught / 4_000 - 0.5) < 0.04


# --- progress and cancel ------------------------------------------------------------------------


def test_progress_is_reported_after_each_chunk():
    calls = []
    simulate(
        rag_workflow(),
        n=2 * CHUNK_SIZE + 10,
        seed=1,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [
        (CHUNK_SIZE, 2 * CHUNK_SIZE + 10),
        (2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 10),
        (2 * CHUNK_SIZE + 10, 2 * CHUNK_SIZE + 10),
    ]


def test_cancel_stops_between_chunks():
    checks = []

    def should_cancel():
        checks.append(1)
        return len(checks) > 1

    with pytest.raises(SimulationCancelled) as exc:
        simulate(rag_workflow(), n=3 * CHUNK_SIZE, seed=1, should_cancel=should_cancel)
    assert exc.value.done == CHUNK_SIZE and exc.value.total == 3 * CHUNK_SIZE


# --- the report ---------------------------------------------------------------------------------


def test_report_shape_and_verdict():
    params = SimulationParams.model_validate(
        {
            "tolerances": {
                "max_escape_rate": 0.5,
                "min_availability": 0.5,
                "max_p99_latency_ms": 1.0,
                "max_domain_escape_rate": {"PSF-2": 1.0},
            }
        }
    )
    report = simulate(rag_workflow(), n=5_000, seed=3, params=params)
    data = report.to_data()
    assert [d["domain"] for d in data["domains"]] == [f"PSF-{i}" for i in range(1, 9)]
    for d in data["domains"]:
        lo, hi = d["ci95"]
        assert lo <= d["escape_rate"] <= hi
    checks = {c["check"]: c for c in data["verdict"]["checks"]}
    assert set(checks) == {"escape_rate", "availability", "p99_latency_ms", "escape_rate[PSF-2]"}
    assert checks["escape_rate"]["pass"] and checks["availability"]["pass"]
    assert not checks["p99_latency_ms"]["pass"]  # 1 ms is impossible
    assert data["verdict"]["pass"] is False and not report.passed
    assert (
        data["summary"]["latency_ms"]["p50"]
        <= data["summary"]["latency_ms"]["p95"]
        <= data["summary"]["latency_ms"]["p99"]
    )
    assert [b["band"] for b in data["severity"]] == ["critical", "high", "medium", "low"]
    assert len(data["matrix"]["rows"]) == 17
    assert all(len(r["acted"]) == len(data["matrix"]["columns"]) for r in data["matrix"]["rows"])
    assert data["human_review"]["per_1000"] > 0
    # JSON-able with no NaN and no numpy types.
    json.loads(canonical_json(data))


def test_journal_has_one_canonical_line_per_request():
    report = simulate(rag_workflow(), n=1_500, seed=3)
    out = io.StringIO()
    assert report.write_journal(out) == 1_500
    lines = out.getvalue().splitlines()
    assert len(lines) == 1_500
    counts = {}
    for i, line in enumerate(lines):
        entry = json.loads(line)
        assert canonical_json(entry) == line
        assert set(entry) == {"index", "scenario", "outcome", "caught_by", "domain", "latency_ms"}
        assert entry["index"] == i
        assert (entry["domain"] is not None) == (entry["outcome"] == "escaped")
        assert (entry["caught_by"] is not None) <= (entry["outcome"] in ("caught", "degraded"))
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    summary = report.to_data()["summary"]["outcomes"]
    assert all(summary[k]["count"] == v for k, v in counts.items())


# --- Wilson -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
        (5, 10, 0.2366, 0.7634),
    ],
)
def test_wilson_interval_matches_published_values(k, n, lo, hi):
    got = wilson_interval(k, n)
    assert round(got[0], 4) == lo and round(got[1], 4) == hi


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson_interval(1, 0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
