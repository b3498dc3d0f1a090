"""The report of a simulated run and its per-request journal.

The report is plain JSON-able data in a deterministic order, floats rounded to ``DECIMALS``, so
``canonical_json(report.to_data())`` is byte-identical for the same inputs. The journal is kept as
numpy arrays (one entry per request) and written out as JSON lines on demand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from simulator.catalogue import DOMAINS, SEVERITIES, SimulationCatalogue
from simulator.params import SimulationParams
from studio.catalogue import load_catalogue

if TYPE_CHECKING:
    from simulator.engine import Totals
    from simulator.plan import Plan
    from studio.format import WorkflowDocument

REPORT_FORMAT = "workflowos.simulation-report/v1"
OUTCOMES = ("served_safely", "caught", "escaped", "degraded", "failed")
DECIMALS = 6
Z95 = 1.959963984540054


def _r(x: float) -> float:
    return round(float(x), DECIMALS)


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default), without continuity
    correction. ``trials`` must be positive."""
    if trials <= 0:
        raise ValueError("the Wilson interval needs at least one trial")
    if not 0 <= successes <= trials:
        raise ValueError("successes must lie between 0 and the number of trials")
    p = successes / trials
    z2 = z * z
    denom = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Journal:
    """One entry per request, as parallel arrays; ``lines()`` renders them as JSON lines."""

    scenario: np.ndarray  # uint8 index into scenario_ids
    outcome: np.ndarray  # uint8 index into OUTCOMES
    caught_by: np.ndarray  # int16 index into node_ids, -1 for none
    domain: np.ndarray  # int8 index into DOMAINS, -1 for none
    latency_ms: np.ndarray  # int64
    scenario_ids: list[str]
    node_ids: list[str]

    @classmethod
    def allocate(cls, n: int, *, scenario_ids: list[str], node_ids: list[str]) -> Journal:
        return cls(
            scenario=np.zeros(n, dtype=np.uint8),
            outcome=np.zeros(n, dtype=np.uint8),
            caught_by=np.full(n, -1, dtype=np.int16),
            domain=np.full(n, -1, dtype=np.int8),
            latency_ms=np.zeros(n, dtype=np.int64),
            scenario_ids=scenario_ids,
            node_ids=node_ids,
        )

    def __len__(self) -> int:
        return int(self.scenario.shape[0])

    def lines(self, block: int = 10_000) -> Iterator[str]:
        """Yield one canonical JSON object per request (sorted keys, no spaces, no newline):
        ``{"caught_by","domain","index","latency_ms","outcome","scenario"}``."""
        scen_q = [json.dumps(s, ensure_ascii=False) for s in self.scenario_ids]
        node_q = [json.dumps(s, ensure_ascii=False) for s in self.node_ids] + ["null"]  # [-1] is null
        dom_q = [json.dumps(d) for d in DOMAINS] + ["null"]
        out_q = [json.dumps(o) for o in OUTCOMES]
        for start in range(0, len(self), block):
            stop = min(start + block, len(self))
            rows = zip(
                self.caught_by[start:stop].tolist(),
                self.domain[start:stop].tolist(),
                range(start, stop),
                self.latency_ms[start:stop].tolist(),
                self.outcome[start:stop].tolist(),
                self.scenario[start:stop].tolist(),
                strict=True,
            )
            for cb, dm, i, lat, oc, sc in rows:
                yield (
                    f'{{"caught_by":{node_q[cb]},"domain":{dom_q[dm]},"index":{i},'
                    f'"latency_ms":{lat},"outcome":{out_q[oc]},"scenario":{scen_q[sc]}}}'
                )


@dataclass(frozen=True)
class SimulationReport:
    """The result of :func:`simulator.engine.simulate`: report data plus the journal."""

    data: dict[str, Any]
    journal: Journal

    def to_data(self) -> dict[str, Any]:
        return self.data

    @property
    def passed(self) -> bool:
        return bool(self.data["verdict"]["pass"])

    def journal_lines(self) -> Iterator[str]:
        """The journal as JSON lines (without newlines), one per request, in request order."""
        return self.journal.lines()

    def write_journal(self, fp: TextIO) -> int:
        """Write the journal as JSON Lines to a text file; return the number of lines."""
        count = 0
        batch: list[str] = []
        for line in self.journal.lines():
            batch.append(line)
            if len(batch) >= 10_000:
                fp.write("\n".join(batch) + "\n")
                count += len(batch)
                batch = []
        if batch:
            fp.write("\n".join(batch) + "\n")
            count += len(batch)
        return count

    def to_text(self) -> str:
        return render_text(self.data)


def _percentile(sorted_values: np.ndarray, q: float) -> int:
    # Nearest-rank percentile: an observed value, so the figure is an integer and exact.
    n = sorted_values.shape[0]
    k = max(1, math.ceil(q * n))
    return int(sorted_values[k - 1])


def build_report(
    *,
    plan: Plan,
    catalogue: SimulationCatalogue,
    params: SimulationParams,
    totals: Totals,
    journal: Journal,
    meta: dict[str, Any],
    doc: WorkflowDocument,
) -> SimulationReport:
    """Assemble the report from the run's totals and journal."""
    g = plan.graph
    n = int(meta["n"])
    labels = {node.id: node.label for node in doc.nodes}
    counts = totals.outcome_counts
    by_outcome = counts.sum(axis=0)
    escaped = int(by_outcome[OUTCOMES.index("escaped")])
    failed = int(by_outcome[OUTCOMES.index("failed")])
    esc_i, fail_i, caught_i = OUTCOMES.index("escaped"), OUTCOMES.index("failed"), OUTCOMES.index("caught")

    benign_rows = [i for i, s in enumerate(plan.scenarios) if s.mechanism == "benign"]
    benign_requests = int(sum(counts[i].sum() for i in benign_rows))
    benign_refused = int(sum(counts[i, caught_i] for i in benign_rows))

    lat_sorted = np.sort(journal.latency_ms)
    latency = {
        "p50": _percentile(lat_sorted, 0.50),
        "p95": _percentile(lat_sorted, 0.95),
        "p99": _percentile(lat_sorted, 0.99),
        "max": int(lat_sorted[-1]),
        "mean": _r(round(float(lat_sorted.mean()), 1)),
    }
    availability = 1.0 - failed / n
    escape_rate = escaped / n
    fp_rate = benign_refused / benign_requests if benign_requests else 0.0

    summary = {
        "requests": n,
        "outcomes": {
            name: {"count": int(by_outcome[k]), "rate": _r(by_outcome[k] / n)}
            for k, name in enumerate(OUTCOMES)
        },
        "escape_rate": _r(escape_rate),
        "escape_rate_ci95": [_r(x) for x in wilson_interval(escaped, n)],
        "availability": _r(availability),
        "false_positive_rate": _r(fp_rate),
        "benign_requests": benign_requests,
        "latency_ms": latency,
    }

    scenarios = []
    for i, s in enumerate(plan.scenarios):
        req = int(counts[i].sum())
        scenarios.append(
            {
                "id": s.id,
                "label": s.label,
                "kind": s.kind,
                "severity": s.severity,
                "domains": list(s.domains),
                "enters": s.enters,
                "weight": _r(plan.weights[i]),
                "applicable": s.id not in plan.not_applicable,
                "note": plan.not_applicable.get(s.id),
                "requests": req,
                "outcomes": {name: int(counts[i, k]) for k, name in enumerate(OUTCOMES)},
                "escape_rate": _r(counts[i, esc_i] / req) if req else None,
                "anchors": [f"{a.source}: {a.ref}" for a in s.anchors],
            }
        )

    acted = totals.caught + totals.rerouted
    columns = [
        v for v in range(g.size) if g.categories[v] == "control" or acted[:, v].any() or totals.reviews[v]
    ]
    benign_mask = np.zeros(len(plan.scenarios), dtype=bool)
    benign_mask[benign_rows] = True
    controls = []
    for v in columns:
        reviews = int(totals.reviews[v])
        controls.append(
            {
                "node": g.ids[v],
                "type": g.types[v],
                "label": labels.get(g.ids[v], g.ids[v]),
                "on_main_path": g.main[v],
                "caught": int(totals.caught[~benign_mask, v].sum()),
                "rerouted": int(totals.rerouted[:, v].sum()),
                "false_positives": int(totals.false_positives[v]),
                "reviews": reviews,
                "review_minutes": _r(totals.review_ms[v] / 60_000.0),
            }
        )
    matrix = {
        "columns": [g.ids[v] for v in columns],
        "rows": [
            {
                "scenario": s.id,
                "acted": [int(acted[i, v]) for v in columns],
                **{name: int(counts[i, k]) for k, name in enumerate(OUTCOMES)},
            }
            for i, s in enumerate(plan.scenarios)
        ],
    }

    domains = []
    for d in DOMAINS:
        rows = [i for i, s in enumerate(plan.scenarios) if d in s.domains]
        tested = int(sum(counts[i].sum() for i in rows))
        esc = int(sum(counts[i, esc_i] for i in rows))
        fl = int(sum(counts[i, fail_i] for i in rows))
        domains.append(
            {
                "domain": d,
                "scenarios": [plan.scenarios[i].id for i in rows],
                "tested": tested,
                "escaped": esc,
                "failed": fl,
                "escape_rate": _r(esc / tested) if tested else None,
                "ci95": [_r(x) for x in wilson_interval(esc, tested)] if tested else None,
            }
        )

    severity = []
    for band in SEVERITIES:
        if band == "none":
            continue
        rows = [i for i, s in enumerate(plan.scenarios) if s.severity == band]
        req = int(sum(counts[i].sum() for i in rows))
        esc = int(sum(counts[i, esc_i] for i in rows))
        severity.append(
            {
                "band": band,
                "scenarios": [plan.scenarios[i].id for i in rows],
                "requests": req,
                "escaped": esc,
                "failed": int(sum(counts[i, fail_i] for i in rows)),
                "escape_rate": _r(esc / req) if req else None,
                "escapes_per_1000": _r(esc / n * 1000),
            }
        )

    total_reviews = int(totals.reviews.sum())
    human = {
        "reviews": total_reviews,
        "per_1000": _r(total_reviews / n * 1000),
        "reviewer_minutes_per_1000": _r(totals.review_ms.sum() / 60_000.0 / n * 1000),
        "nodes": [
            {
                "node": g.ids[v],
                "type": g.types[v],
                "reviews": int(totals.reviews[v]),
                "per_1000": _r(totals.reviews[v] / n * 1000),
                "reviewer_minutes_per_1000": _r(totals.review_ms[v] / 60_000.0 / n * 1000),
                "mean_minutes": _r(totals.review_ms[v] / 60_000.0 / totals.reviews[v])
                if totals.reviews[v]
                else None,
            }
            for v in sorted(plan.humans)
        ],
    }

    verdict = _verdict(params, summary, domains)

    data = {
        "format": REPORT_FORMAT,
        "params": {
            "engine": meta["engine"],
            "workflow": meta["workflow"],
            "catalogue": {
                "scenarios_version": catalogue.scenarios.version,
                "controls_version": catalogue.behaviour.version,
                "node_types_version": load_catalogue().version,
                "hash": catalogue.content_hash(),
            },
            "seed": meta["seed"],
            "n": n,
            "chunk_size": meta["chunk_size"],
            "simulation": params.to_data(),
            "mix": {s.id: _r(plan.weights[i]) for i, s in enumerate(plan.scenarios)},
        },
        "summary": summary,
        "verdict": verdict,
        "scenarios": scenarios,
        "controls": controls,
        "matrix": matrix,
        "domains": domains,
        "severity": severity,
        "human_review": human,
    }
    return SimulationReport(data=data, journal=journal)


def _verdict(
    params: SimulationParams, summary: dict[str, Any], domains: list[dict[str, Any]]
) -> dict[str, Any]:
    tol = params.tolerances
    checks: list[dict[str, Any]] = []

    def add(check: str, observed: float, comparison: str, tolerated: float) -> None:
        ok = observed <= tolerated if comparison == "<=" else observed >= tolerated
        checks.append(
            {
                "check": check,
                "observed": _r(observed),
                "comparison": comparison,
                "tolerated": _r(tolerated),
                "pass": bool(ok),
            }
        )

    add("escape_rate", summary["escape_rate"], "<=", tol.max_escape_rate)
    add("availability", summary["availability"], ">=", tol.min_availability)
    if tol.max_p99_latency_ms is not None:
        add("p99_latency_ms", summary["latency_ms"]["p99"], "<=", tol.max_p99_latency_ms)
    if tol.max_false_positive_rate is not None:
        add("false_positive_rate", summary["false_positive_rate"], "<=", tol.max_false_positive_rate)
    by_domain = {d["domain"]: d for d in domains}
    for domain in sorted(tol.max_domain_escape_rate):
        observed = by_domain[domain]["escape_rate"] or 0.0
        add(f"escape_rate[{domain}]", observed, "<=", tol.max_domain_escape_rate[domain])
    hypothesis = "; ".join(f"{c['check']} {c['comparison']} {c['tolerated']:g}" for c in checks)
    return {"pass": all(c["pass"] for c in checks), "hypothesis": hypothesis, "checks": checks}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.3f} %"


def render_text(data: dict[str, Any]) -> str:
    """A plain-text summary for terminals and CI logs."""
    p = data["params"]
    s = data["summary"]
    v = data["verdict"]
    out = [
        f"Simulation of {p['workflow']['name']!r} ({p['workflow']['hash'][:12]}): {p['n']:,} requests, seed {p['seed']}, "
        f"catalogue v{p['catalogue']['scenarios_version']}",
        f"Verdict: {'PASS' if v['pass'] else 'FAIL'}",
    ]
    for c in v["checks"]:
        out.append(
            f"  [{'ok' if c['pass'] else 'FAIL'}] {c['check']} = {c['observed']:g} (tolerated {c['comparison']} {c['tolerated']:g})"
        )
    out.append("Outcomes:")
    for name, o in s["outcomes"].items():
        out.append(f"  {name:<14} {o['count']:>9,}  {_pct(o['rate'])}")
    lat = s["latency_ms"]
    out.append(
        f"Availability {_pct(s['availability'])}; false positives {_pct(s['false_positive_rate'])} of benign traffic"
    )
    out.append(
        f"Latency (ms): p50 {lat['p50']:,}  p95 {lat['p95']:,}  p99 {lat['p99']:,}  max {lat['max']:,}"
    )
    out.append("Escape rate per PSF domain (95 % Wilson interval):")
    for d in data["domains"]:
        if d["tested"]:
            lo, hi = d["ci95"]
            out.append(
                f"  {d['domain']}: {_pct(d['escape_rate'])}  [{_pct(lo)}, {_pct(hi)}]  ({d['escaped']:,} of {d['tested']:,})"
            )
        else:
            out.append(f"  {d['domain']}: not tested")
    out.append("Scenarios:")
    for sc in data["scenarios"]:
        o = sc["outcomes"]
        note = "" if sc["applicable"] else f"  (n/a: {sc['note']})"
        out.append(
            f"  {sc['id']:<26} {sc['requests']:>8,}  caught {o['caught']:>7,}  escaped {o['escaped']:>7,}  "
            f"degraded {o['degraded']:>6,}  failed {o['failed']:>6,}{note}"
        )
    out.append("Controls:")
    for c in data["controls"]:
        out.append(
            f"  {c['node']:<24} {c['type']:<20} caught {c['caught']:>7,}  rerouted {c['rerouted']:>6,}  false positives {c['false_positives']:>6,}"
        )
    h = data["human_review"]
    out.append(
        f"Human review: {h['per_1000']:g} reviews and {h['reviewer_minutes_per_1000']:g} reviewer-minutes per 1,000 requests"
    )
    return "\n".join(out) + "\n"
