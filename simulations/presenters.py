"""Turns a stored run and its report into what the page and the API show: formatted checks, the
scenario × control matrix with labels, the reproduce command. No writes, no request."""

from __future__ import annotations

from typing import Any

from simulator.params import SimulationParams, Tolerances, parse_params

from .models import SimulationRun

OUTCOME_LABELS = {
    "served_safely": "Served safely",
    "caught": "Caught",
    "escaped": "Escaped (incident)",
    "degraded": "Degraded (fallback)",
    "failed": "Failed (no answer)",
}
CHECK_LABELS = {
    "escape_rate": "Escape rate",
    "availability": "Availability",
    "p99_latency_ms": "p99 latency",
    "false_positive_rate": "False-positive rate",
}


def pct(rate: float | None, digits: int = 3) -> str:
    """A rate as a percentage for people: ``0.012345`` → ``1.235 %``."""
    if rate is None:
        return "—"
    return f"{rate * 100:.{digits}f} %"


def _check_row(c: dict[str, Any]) -> dict[str, Any]:
    name = str(c["check"])
    if name.startswith("escape_rate["):
        label = f"Escape rate in {name[len('escape_rate[') : -1]}"
    else:
        label = CHECK_LABELS.get(name, name)
    if name == "p99_latency_ms":
        observed, tolerated = f"{c['observed']:,.0f} ms", f"{c['tolerated']:,.0f} ms"
    else:
        observed, tolerated = pct(c["observed"]), pct(c["tolerated"])
    return {
        "label": label,
        "observed": observed,
        "comparison": "≤" if c["comparison"] == "<=" else "≥",
        "tolerated": tolerated,
        "passed": bool(c["pass"]),
    }


def matrix_rows(report: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The scenario × control matrix: (columns, rows). Each cell is the number of the scenario's
    requests the control acted on (caught or rerouted) and its share of them."""
    controls = {c["node"]: c for c in report["controls"]}
    columns = [
        {
            "node": node,
            "label": controls.get(node, {}).get("label", node),
            "type": controls.get(node, {}).get("type", ""),
            "acted": any(int(r["acted"][j]) for r in report["matrix"]["rows"]),
        }
        for j, node in enumerate(report["matrix"]["columns"])
    ]
    scenarios = {s["id"]: s for s in report["scenarios"]}
    rows = []
    for r in report["matrix"]["rows"]:
        s = scenarios.get(r["scenario"], {})
        requests = int(s.get("requests") or 0)

        def cell(count: int, requests: int = requests) -> dict[str, Any]:
            share = count / requests if requests else 0.0
            return {
                "count": count,
                "share": share,
                "alpha": f"{min(0.08 + 0.6 * share, 0.68):.2f}" if count else "",
            }

        rows.append(
            {
                "id": r["scenario"],
                "label": s.get("label", r["scenario"]),
                "kind": s.get("kind", ""),
                "severity": s.get("severity", ""),
                "domains": s.get("domains", []),
                "applicable": s.get("applicable", True),
                "note": s.get("note"),
                "requests": requests,
                "cells": [cell(int(x)) for x, col in zip(r["acted"], columns, strict=True) if col["acted"]],
                "escaped": cell(int(r["escaped"])),
                "degraded": int(r["degraded"]),
                "failed": int(r["failed"]),
                "served": int(r["served_safely"]),
                "escape_rate": s.get("escape_rate"),
            }
        )
    return columns, rows


def _with_labels(human: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    labels = {c["node"]: c["label"] for c in report["controls"]}
    return [{**h, "label": labels.get(h["node"], h["node"])} for h in human["nodes"]]


def reproduce_command(run: SimulationRun) -> tuple[str, bool]:
    """The CLI line that reproduces the run, and whether it needs the parameters file (when the
    run overrides more than the three tolerances the CLI takes as flags)."""
    params = parse_params(run.params)
    tol = params.tolerances
    flags_only = params == SimulationParams(
        tolerances=Tolerances(
            max_escape_rate=tol.max_escape_rate,
            min_availability=tol.min_availability,
            max_p99_latency_ms=tol.max_p99_latency_ms,
        )
    )
    parts = [
        "workflowos simulate",
        workflow_filename(run),
        f"--runs {run.n}",
        f"--seed {run.seed}",
    ]
    if flags_only:
        default = Tolerances()
        if tol.max_escape_rate != default.max_escape_rate:
            parts.append(f"--max-escape-rate {tol.max_escape_rate:g}")
        if tol.min_availability != default.min_availability:
            parts.append(f"--min-availability {tol.min_availability:g}")
        if tol.max_p99_latency_ms is not None:
            parts.append(f"--max-p99-latency-ms {tol.max_p99_latency_ms:g}")
    else:
        parts.append(f"--params {params_filename(run)}")
    return " ".join(parts), not flags_only


def workflow_filename(run: SimulationRun) -> str:
    # The name the studio's JSON export gives the same version.
    return f"workflow-{run.workflow_id}-v{run.version.number}.json"


def params_filename(run: SimulationRun) -> str:
    return f"simulation-{run.pk}-params.json"


def duration_seconds(run: SimulationRun) -> float | None:
    if run.started and run.finished and run.finished >= run.started:
        return (run.finished - run.started).total_seconds()
    return None


def report_context(run: SimulationRun) -> dict[str, Any]:
    """Everything the finished report section shows, display-ready."""
    report = run.report or {}
    if not report:
        return {}
    summary = report["summary"]
    columns, rows = matrix_rows(report)
    outcomes = [
        {"key": k, "label": OUTCOME_LABELS.get(k, k), "count": v["count"], "rate": v["rate"]}
        for k, v in summary["outcomes"].items()
    ]
    return {
        "report": report,
        "summary": summary,
        "verdict": report["verdict"],
        "checks": [_check_row(c) for c in report["verdict"]["checks"]],
        "outcomes": outcomes,
        "columns": [c for c in columns if c["acted"]],
        "idle_controls": [c for c in columns if not c["acted"]],
        "matrix": rows,
        "domains": report["domains"],
        "severity": [s for s in report["severity"] if s["requests"]],
        "controls": report["controls"],
        "human": report["human_review"],
        "reviewers": _with_labels(report["human_review"], report),
        "latency": summary["latency_ms"],
    }
