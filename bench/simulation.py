"""Benchmark of the simulator: a realistic 20-step workflow, 100,000 requests, one process.

Run: ``.venv/bin/python bench/simulation.py [--runs N] [--repeat K]``. Prints requests per second
(median of K runs) against the target of 50,000 requests/s from issue 7.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.engine import simulate
from studio.format import parse_document

TARGET = 50_000


def twenty_step_workflow() -> dict:
    """A customer-support agent with retrieval, a tool, a fallback model and observability."""
    node = lambda id_, type_, label, **config: {"id": id_, "type": type_, "label": label, "config": config}  # noqa: E731
    nodes = [
        node("user", "user_input", "Customer message"),
        node("limit", "rate_limiter", "Rate limiter", requests_per_minute=600, alerting=True),
        node("validate", "input_validator", "Input validator", max_length=4000),
        node("inject", "injection_filter", "Prompt-injection filter"),
        node("redact", "pii_redactor", "PII redactor", method="tokenise"),
        node("kb", "retrieval_source", "Help-centre articles", access_controlled=True),
        node("retrieve", "retrieval", "Retrieve top 5", top_k=5),
        node("kb_inject", "injection_filter", "Filter retrieved text"),
        node("router", "fallback_router", "Vendor router", strategy="failover", tested=True),
        node("breaker", "circuit_breaker", "Breaker", timeout_ms=8000, failure_threshold=5),
        node(
            "primary",
            "llm_call",
            "Primary model",
            vendor="openai",
            model="gpt-4o",
            model_version="gpt-4o-2024-08-06",
        ),
        node(
            "secondary",
            "llm_call",
            "Fallback model",
            vendor="anthropic",
            model="claude",
            model_version="claude-3-5-sonnet-20241022",
        ),
        node("schema", "output_validator", "Output schema + grounding", semantic_checks=True),
        node("moderate", "content_filter", "Content filter"),
        node("authz", "authorization_check", "Tool authorisation", least_privilege=True),
        node("approve", "approval_gate", "Refund approval", value_threshold=200, review_minutes=6),
        node("refund", "tool_call", "Refund API", tool="refunds", reversible=False),
        node("reply", "response", "Reply to customer", ai_disclosure=True),
        node("trace", "tracing", "Tracing", drift_signals=True, replayable=True),
        node("alerts", "alerting", "Alerting", signals=["error_rate", "p99_latency"]),
    ]
    chain = [
        "user",
        "limit",
        "validate",
        "inject",
        "redact",
        "retrieve",
        "kb_inject",
        "router",
        "breaker",
        "primary",
        "schema",
        "moderate",
        "reply",
    ]
    edges = [{"from": a, "to": b} for a, b in itertools.pairwise(chain)]
    edges += [
        {"from": "kb", "to": "retrieve"},
        {"from": "router", "to": "secondary", "kind": "fallback"},
        {"from": "secondary", "to": "schema"},
        {"from": "schema", "to": "authz"},
        {"from": "authz", "to": "approve"},
        {"from": "approve", "to": "refund"},
        {"from": "primary", "to": "trace"},
        {"from": "trace", "to": "alerts"},
    ]
    return {
        "format": "workflowos.workflow/v1",
        "name": "Support agent (bench)",
        "facts": {"personal_data": True, "stakes": "high", "audience": "external"},
        "nodes": nodes,
        "edges": edges,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    doc = parse_document(twenty_step_workflow())
    assert len(doc.nodes) == 20
    simulate(doc, n=1_000, seed=0)  # warm-up: imports, catalogue load
    timings = []
    for i in range(args.repeat):
        t0 = time.perf_counter()
        report = simulate(doc, n=args.runs, seed=i)
        timings.append(time.perf_counter() - t0)
    best = statistics.median(timings)
    rate = args.runs / best
    s = report.to_data()["summary"]
    print(f"workflow: 20 steps, {len(doc.edges)} edges; {args.runs:,} requests x {args.repeat}")
    print("runs (s): " + ", ".join(f"{t:.3f}" for t in timings))
    print(
        f"median: {best:.3f} s -> {rate:,.0f} requests/s (target >= {TARGET:,}) {'OK' if rate >= TARGET else 'BELOW TARGET'}"
    )
    print(
        f"last run: escape rate {s['escape_rate']:.4f}, availability {s['availability']:.4f}, p99 {s['latency_ms']['p99']:,} ms"
    )
    t0 = time.perf_counter()
    lines = sum(1 for _ in report.journal_lines())
    print(f"journal: {lines:,} lines rendered in {time.perf_counter() - t0:.3f} s")
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
