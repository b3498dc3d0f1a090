"""Every scenario against minimal workflows: the control present catches at its rate, absent the
threat escapes; faults are rerouted, cut or fail as documented."""

import math

import pytest

from simulator.catalogue import load_simulation_catalogue
from simulator.engine import simulate
from tests.simulator.workflows import chain, node, only, threat_workflow

N = 2_000
CAT = load_simulation_catalogue()
DETECT_PAIRS = [(s.id, c) for s in CAT.scenarios.scenarios if s.mechanism == "detect" for c in s.controls]


def outcomes(report, scenario_id):
    return next(s for s in report.to_data()["scenarios"] if s["id"] == scenario_id)["outcomes"]


def acted(report, node_id):
    data = report.to_data()
    col = data["matrix"]["columns"].index(node_id)
    return sum(row["acted"][col] for row in data["matrix"]["rows"])


def within_binomial(observed, n, p):
    return abs(observed / n - p) <= 4.5 * math.sqrt(p * (1 - p) / n) + 0.005


@pytest.mark.parametrize(("scenario_id", "control_type"), DETECT_PAIRS)
def test_control_present_catches_at_its_rate(scenario_id, control_type):
    wf = threat_workflow(scenario_id, node("ctl", control_type))
    report = simulate(wf, n=N, seed=11, params=only(scenario_id))
    expected = CAT.detection_rate(control_type, scenario_id, {})
    o = outcomes(report, scenario_id)
    assert o["caught"] + o["escaped"] == N
    assert within_binomial(o["caught"], N, expected), (o, expected)
    assert acted(report, "ctl") == o["caught"]


@pytest.mark.parametrize("scenario_id", sorted({s for s, _ in DETECT_PAIRS}))
def test_control_absent_the_threat_escapes(scenario_id):
    report = simulate(threat_workflow(scenario_id, None), n=500, seed=3, params=only(scenario_id))
    o = outcomes(report, scenario_id)
    assert o["escaped"] == 500
    domain = CAT.scenarios.get(scenario_id).domains[0]
    escaped_domains = {line for line in report.journal_lines() if f'"domain":"{domain}"' in line}
    assert len(escaped_domains) == 500
    by_domain = {d["domain"]: d for d in report.to_data()["domains"]}
    assert by_domain[domain]["escape_rate"] == 1.0


def test_a_control_on_one_of_two_parallel_paths_does_not_protect_the_other():
    wf = chain(
        node("user", "user_input"),
        node("filter", "injection_filter", detection_rate=1.0),
        node("llm", "llm_call"),
        node("out", "response"),
        extra_edges=(("user", "llm"),),
    )
    report = simulate(wf, n=500, seed=1, params=only("prompt_injection_direct"))
    assert outcomes(report, "prompt_injection_direct")["escaped"] == 500


def test_a_control_before_the_entry_point_does_not_act():
    # The filter screens the user's message; the injection arrives in a retrieved document.
    wf = chain(
        node("user", "user_input"),
        node("filter", "injection_filter", detection_rate=1.0),
        node("llm", "llm_call"),
        node("out", "response"),
        extra_nodes=(node("src", "retrieval_source"), node("retr", "retrieval")),
        extra_edges=(("src", "retr"), ("retr", "llm")),
    )
    report = simulate(wf, n=500, seed=1, params=only("prompt_injection_indirect"))
    assert outcomes(report, "prompt_injection_indirect")["escaped"] == 500


def test_controls_in_series_compound():
    wf = chain(
        node("user", "user_input"),
        node("f1", "injection_filter", detection_rate=0.5),
        node("f2", "injection_filter", detection_rate=0.5),
        node("llm", "llm_call"),
        node("out", "response"),
    )
    report = simulate(wf, n=4_000, seed=5, params=only("prompt_injection_direct"))
    o = outcomes(report, "prompt_injection_direct")
    assert within_binomial(o["escaped"], 4_000, 0.25)
    # Met in order: the first filter catches half, the second half of the rest.
    assert within_binomial(acted(report, "f1"), 4_000, 0.5)
    assert within_binomial(acted(report, "f2"), 4_000, 0.25)


def test_log_only_control_does_not_act():
    wf = threat_workflow("prompt_injection_direct", node("ctl", "injection_filter", on_fail="log_only"))
    report = simulate(wf, n=500, seed=2, params=only("prompt_injection_direct"))
    assert outcomes(report, "prompt_injection_direct")["escaped"] == 500


def test_scenario_without_its_harm_point_is_not_applicable():
    wf = chain(node("user", "user_input"), node("llm", "llm_call"), node("out", "response"))
    report = simulate(wf, n=300, seed=2, params=only("jailbreak_tool_misuse"))
    sc = next(s for s in report.to_data()["scenarios"] if s["id"] == "jailbreak_tool_misuse")
    assert not sc["applicable"]
    assert sc["outcomes"]["escaped"] == 0


def test_high_stakes_decision_needs_high_stakes_facts_by_default():
    wf = chain(node("user", "user_input"), node("llm", "llm_call"), node("out", "response"))
    report = simulate(wf, n=1_000, seed=2)
    sc = next(s for s in report.to_data()["scenarios"] if s["id"] == "high_stakes_decision")
    assert sc["requests"] == 0 and not sc["applicable"]
    high = chain(node("user", "user_input"), node("llm", "llm_call"), node("out", "response"), stakes="high")
    sc = next(
        s for s in simulate(high, n=1_000, seed=2).to_data()["scenarios"] if s["id"] == "high_stakes_decision"
    )
    assert sc["requests"] > 0 and sc["applicable"]


def test_pinned_model_version_stops_a_silent_model_change():
    wf = chain(
        node("user", "user_input"),
        node("llm", "llm_call", model_version="2024-08-06"),
        node("out", "response"),
    )
    report = simulate(wf, n=500, seed=2, params=only("silent_model_change"))
    assert outcomes(report, "silent_model_change")["caught"] == 500
    assert acted(report, "llm") == 500


def test_benign_traffic_meets_false_positives_at_the_configured_rate():
    wf = chain(
        node("user", "user_input"),
        node("ctl", "content_filter", false_positive_rate=0.2),
        node("llm", "llm_call"),
        node("out", "response"),
    )
    report = simulate(wf, n=4_000, seed=9, params=only("benign"))
    data = report.to_data()
    refused = outcomes(report, "benign")["caught"]
    assert within_binomial(refused, 4_000, 0.2)
    assert data["summary"]["false_positive_rate"] == round(refused / 4_000, 6)
    assert data["controls"][0]["false_positives"] == refused


# --- vendor faults ------------------------------------------------------------------------------


def two_vendor_workflow(fallback_vendor="anthropic", **llm_config):
    return chain(
        node("user", "user_input"),
        node("llm", "llm_call", vendor="openai", **llm_config),
        node("out", "response"),
        extra_nodes=(node("backup", "llm_call", vendor=fallback_vendor),),
        extra_edges=(("llm", "backup", "fallback"), ("backup", "out")),
    )


def test_fallback_edge_reroutes_an_outage():
    report = simulate(two_vendor_workflow(), n=1_000, seed=4, params=only("vendor_outage"))
    o = outcomes(report, "vendor_outage")
    assert o["degraded"] >= 990  # the fallback itself is up 99.9 % of the time
    assert o["degraded"] + o["failed"] == 1_000
    assert acted(report, "llm") == o["degraded"]


def test_outage_without_fallback_fails_and_costs_availability():
    wf = chain(node("user", "user_input"), node("llm", "llm_call", vendor="openai"), node("out", "response"))
    report = simulate(wf, n=1_000, seed=4, params=only("vendor_outage"))
    assert outcomes(report, "vendor_outage")["failed"] == 1_000
    assert report.to_data()["summary"]["availability"] == 0.0
    assert not report.passed


def test_fallback_to_the_same_vendor_does_not_help():
    report = simulate(
        two_vendor_workflow(fallback_vendor="OpenAI"), n=500, seed=4, params=only("vendor_outage")
    )
    assert outcomes(report, "vendor_outage")["failed"] == 500


def test_fallback_router_in_front_reroutes_and_is_credited():
    wf = chain(
        node("user", "user_input"),
        node("router", "fallback_router"),
        node("llm", "llm_call", vendor="openai"),
        node("out", "response"),
        extra_nodes=(node("backup", "llm_call", vendor="mistral"),),
        extra_edges=(("router", "backup", "fallback"), ("backup", "out")),
    )
    report = simulate(wf, n=1_000, seed=4, params=only("vendor_outage"))
    assert acted(report, "router") == outcomes(report, "vendor_outage")["degraded"] >= 990


def spike_workflow(breaker: bool):
    nodes = [node("user", "user_input")]
    if breaker:
        nodes.append(node("breaker", "circuit_breaker", timeout_ms=5_000))
    nodes += [node("llm", "llm_call", vendor="openai"), node("out", "response")]
    return chain(
        *nodes,
        extra_nodes=(node("backup", "llm_call", vendor="anthropic"),),
        extra_edges=(("llm", "backup", "fallback"), ("backup", "out")),
    )


def test_circuit_breaker_cuts_a_latency_spike():
    with_breaker = simulate(spike_workflow(True), n=2_000, seed=8, params=only("latency_spike"))
    without = simulate(spike_workflow(False), n=2_000, seed=8, params=only("latency_spike"))
    o = outcomes(with_breaker, "latency_spike")
    assert o["escaped"] == 0
    assert o["degraded"] >= 1_900
    assert acted(with_breaker, "breaker") == o["degraded"]
    assert outcomes(without, "latency_spike")["escaped"] == 2_000
    cut = with_breaker.to_data()["summary"]["latency_ms"]
    slow = without.to_data()["summary"]["latency_ms"]
    assert cut["p50"] < 5_000 + 3_000 < slow["p50"]
    assert cut["p99"] < slow["p99"]


def test_model_timeout_without_fallback_retries_or_fails():
    wf = chain(
        node("user", "user_input"),
        node("llm", "llm_call", vendor="openai", timeout_ms=4_000),
        node("out", "response"),
    )
    report = simulate(wf, n=2_000, seed=8, params=only("latency_spike"))
    o = outcomes(report, "latency_spike")
    assert o["escaped"] == 0
    # A few spikes stay under the timeout and are served; the rest are cut and retried once,
    # which succeeds 60 % of the time.
    assert o["served_safely"] < 40
    assert o["served_safely"] + o["caught"] + o["failed"] == 2_000
    assert within_binomial(o["caught"], 2_000 - o["served_safely"], 0.6)


def test_rate_limiter_keeps_most_429s_from_happening():
    wf = chain(
        node("user", "user_input"),
        node("limit", "rate_limiter"),
        node("llm", "llm_call"),
        node("out", "response"),
    )
    report = simulate(wf, n=2_000, seed=6, params=only("rate_limited_429"))
    o = outcomes(report, "rate_limited_429")
    assert within_binomial(o["caught"], 2_000, 0.9)
    assert o["caught"] + o["failed"] == 2_000
    bare = simulate(
        chain(node("user", "user_input"), node("llm", "llm_call"), node("out", "response")),
        n=500,
        seed=6,
        params=only("rate_limited_429"),
    )
    assert outcomes(bare, "rate_limited_429")["failed"] == 500


def test_trace_sink_down_escapes_without_alerting():
    base = (node("user", "user_input"), node("llm", "llm_call"), node("out", "response"))
    tracing_only = chain(*base, extra_nodes=(node("trace", "tracing"),), extra_edges=(("llm", "trace"),))
    report = simulate(tracing_only, n=500, seed=1, params=only("trace_sink_down"))
    assert outcomes(report, "trace_sink_down")["escaped"] == 500
    assert {d["domain"]: d["escaped"] for d in report.to_data()["domains"]}["PSF-4"] == 500
    alerted = chain(
        *base,
        extra_nodes=(node("trace", "tracing"), node("alerts", "alerting")),
        extra_edges=(("llm", "trace"), ("trace", "alerts")),
    )
    o = outcomes(simulate(alerted, n=2_000, seed=1, params=only("trace_sink_down")), "trace_sink_down")
    assert within_binomial(o["caught"], 2_000, 0.95)


def test_background_vendor_availability_is_overridable():
    wf = chain(
        node("user", "user_input"), node("llm", "llm_call", vendor="acme-llm"), node("out", "response")
    )
    params = only("benign", vendor_overrides={"acme-llm": {"availability": 0.9}})
    report = simulate(wf, n=4_000, seed=3, params=params)
    assert within_binomial(outcomes(report, "benign")["failed"], 4_000, 0.1)


# --- people -----------------------------------------------------------------------------------


def test_human_review_adds_load_and_delay():
    wf = chain(
        node("user", "user_input"),
        node("llm", "llm_call"),
        node("review", "human_review", sample_rate=0.5, review_minutes=2),
        node("out", "response"),
    )
    report = simulate(wf, n=4_000, seed=12, params=only("benign"))
    h = report.to_data()["human_review"]
    assert within_binomial(h["reviews"], 4_000, 0.5)
    assert abs(h["per_1000"] - 500) < 40
    # Log-normal review time: median 2 minutes, mean a little above.
    assert 2.0 < h["nodes"][0]["mean_minutes"] < 4.0
    latency = report.to_data()["summary"]["latency_ms"]
    assert latency["p95"] > 60_000 > latency["p50"] / 10
    unreviewed = simulate(
        chain(node("user", "user_input"), node("llm", "llm_call"), node("out", "response")),
        n=4_000,
        seed=12,
        params=only("benign"),
    )
    assert unreviewed.to_data()["human_review"]["reviews"] == 0
    assert unreviewed.to_data()["summary"]["latency_ms"]["p95"] < 60_000


def test_human_review_catches_only_what_it_reviews():
    wf = threat_workflow("toxic_output", node("ctl", "human_review", sample_rate=0.2, detection_rate=1.0))
    o = outcomes(simulate(wf, n=4_000, seed=12, params=only("toxic_output")), "toxic_output")
    assert within_binomial(o["caught"], 4_000, 0.2)


def test_escalation_edge_sends_caught_requests_to_a_reviewer():
    wf = chain(
        node("user", "user_input"),
        node("filter", "injection_filter", detection_rate=1.0),
        node("llm", "llm_call"),
        node("out", "response"),
        extra_nodes=(node("desk", "human_review"),),
        extra_edges=(("filter", "desk", "escalation"),),
    )
    report = simulate(wf, n=400, seed=2, params=only("prompt_injection_direct"))
    assert report.to_data()["human_review"]["reviews"] == 400
