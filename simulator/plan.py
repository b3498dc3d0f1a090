"""The run plan: everything about the workflow graph the engine needs, computed once per run.

For each scenario the plan holds the control nodes that can act on it — those lying on a data path
between where the scenario enters and where it would do harm, in the order a request meets them —
and the *minimal path sets*: for every way the threat can travel from an entry node to a harm node,
the set of those controls on the way. A threat escapes when, on at least one path, none of the
controls on it caught it (the path of least resistance), so a control on only one of two parallel
branches does not protect the other. Supersets are dropped (if path A's controls are a subset of
path B's, escaping along B implies escaping along A).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lib.errors import DomainError, ErrorItem
from simulator.catalogue import VENDOR_MECHANISMS, Scenario, SimulationCatalogue, VendorProfile
from simulator.params import SimulationParams
from studio.catalogue import load_catalogue
from studio.format import WorkflowDocument

MODEL_TYPES = ("llm_call", "agent")
MAX_PATH_SETS = 256
Z99 = 2.3263478740408408  # standard normal quantile at 0.99: p99 = median * exp(sigma * Z99)


@dataclass(frozen=True)
class LogNormal:
    """A latency distribution given by its median and 99th percentile (ms)."""

    median: float
    p99: float

    @property
    def mu(self) -> float:
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        return max(math.log(self.p99 / self.median), 0.0) / Z99

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.sigma == 0.0:
            return np.full(size, self.median)
        return rng.lognormal(self.mu, self.sigma, size)


@dataclass
class Graph:
    """The workflow as index arrays; nodes in a deterministic topological order of data edges."""

    ids: list[str]
    types: list[str]
    categories: list[str]
    configs: list[dict[str, Any]]
    data_pred: list[list[int]]
    data_succ: list[list[int]]
    neighbours: list[set[int]]
    fallback_out: list[list[tuple[str, int]]]
    escalation_out: list[list[int]]
    main: list[bool]

    @property
    def size(self) -> int:
        return len(self.ids)


def build_graph(doc: WorkflowDocument) -> Graph:
    nt = load_catalogue()
    by_id = {n.id: n for n in doc.nodes}
    succ: dict[str, list[str]] = {n.id: [] for n in doc.nodes}
    indeg = {n.id: 0 for n in doc.nodes}
    for e in doc.edges:
        if e.kind == "data":
            succ[e.from_].append(e.to)
            indeg[e.to] += 1
    # Kahn's algorithm with the smallest id first, so the order does not depend on list order.
    heap = [nid for nid, d in indeg.items() if d == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        nid = heapq.heappop(heap)
        order.append(nid)
        for t in succ[nid]:
            indeg[t] -= 1
            if indeg[t] == 0:
                heapq.heappush(heap, t)
    pos = {nid: i for i, nid in enumerate(order)}
    size = len(order)
    data_pred: list[list[int]] = [[] for _ in range(size)]
    data_succ: list[list[int]] = [[] for _ in range(size)]
    neighbours: list[set[int]] = [set() for _ in range(size)]
    fallback_out: list[list[tuple[str, int]]] = [[] for _ in range(size)]
    escalation_out: list[list[int]] = [[] for _ in range(size)]
    has_incoming = [False] * size
    for e in sorted(doc.edges, key=lambda e: (e.id or "", e.from_, e.to, e.kind)):
        a, b = pos[e.from_], pos[e.to]
        neighbours[a].add(b)
        neighbours[b].add(a)
        has_incoming[b] = True
        if e.kind == "data":
            if b not in data_succ[a]:
                data_succ[a].append(b)
                data_pred[b].append(a)
        elif e.kind == "fallback":
            fallback_out[a].append((e.id or "", b))
        else:
            escalation_out[a].append(b)
    for lst in (*data_pred, *data_succ):
        lst.sort()
    categories: list[str] = []
    for nid in order:
        node_type = nt.get(by_id[nid].type)
        categories.append(node_type.category if node_type else "processing")
    roots = [i for i in range(size) if categories[i] == "input"]
    if not roots:
        roots = [i for i in range(size) if not has_incoming[i]]
    main = [False] * size
    stack = list(roots)
    while stack:
        v = stack.pop()
        if main[v]:
            continue
        main[v] = True
        stack.extend(data_succ[v])
    return Graph(
        ids=order,
        types=[by_id[nid].type for nid in order],
        categories=categories,
        configs=[dict(by_id[nid].config) for nid in order],
        data_pred=data_pred,
        data_succ=data_succ,
        neighbours=neighbours,
        fallback_out=fallback_out,
        escalation_out=escalation_out,
        main=main,
    )


def minimal_sets(sets: set[frozenset[int]]) -> list[frozenset[int]]:
    """Drop every set that contains another; keep at most MAX_PATH_SETS of the smallest."""
    kept: list[frozenset[int]] = []
    for s in sorted(sets, key=lambda s: (len(s), sorted(s))):
        if not any(k <= s for k in kept):
            kept.append(s)
            if len(kept) >= MAX_PATH_SETS:
                break
    return kept


def path_sets(
    graph: Graph, entries: set[int], harms: set[int], contrib: Callable[[int], frozenset[int]]
) -> list[frozenset[int]]:
    """Minimal sets of acting controls over all data paths (within the main flow) from an entry
    node to a harm node. Empty list: no such path (the scenario cannot happen here)."""
    reach: dict[int, list[frozenset[int]]] = {}
    for v in range(graph.size):
        if not graph.main[v]:
            continue
        incoming: set[frozenset[int]] = set()
        for u in graph.data_pred[v]:
            incoming.update(reach.get(u, ()))
        if v in entries:
            incoming.add(frozenset())
        if not incoming:
            continue
        own = contrib(v)
        reach[v] = minimal_sets({s | own for s in incoming})
    final: set[frozenset[int]] = set()
    for h in harms:
        final.update(reach.get(h, ()))
    return minimal_sets(final)


# --- per-scenario plans ---------------------------------------------------------------------------


@dataclass
class DetectPlan:
    """The ordered control chain of a ``detect`` scenario."""

    applicable: bool
    columns: list[int] = field(default_factory=list)  # node indices, in the order met
    rates: np.ndarray = field(default_factory=lambda: np.zeros(0))
    blocking: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    sets: list[np.ndarray] = field(default_factory=list)  # column positions per minimal path set
    uncovered: bool = False  # some path has no control at all


@dataclass
class ModelPlan:
    """One model call in the main flow and what can save it when its vendor misbehaves."""

    node: int
    vendor: str
    latency: LogNormal
    availability: float
    fallback_owner: int | None = None
    fallback_target: int | None = None
    fallback_latency: LogNormal | None = None
    fallback_availability: float = 1.0
    timeout_ms: float | None = None
    timeout_owner: int | None = None
    breaker: int | None = None
    limiter: int | None = None


@dataclass
class HumanPlan:
    node: int
    share: float
    delay: LogNormal
    requires_review: bool


@dataclass
class Plan:
    graph: Graph
    scenarios: list[Scenario]
    weights: np.ndarray  # normalised, in catalogue order
    not_applicable: dict[str, str]
    detect: dict[int, DetectPlan]
    models: list[ModelPlan]
    benign_columns: list[int]
    benign_fp: np.ndarray
    benign_blocking: np.ndarray
    humans: dict[int, HumanPlan]  # by node index (main flow and escalation targets)
    escalations: dict[int, int]  # control node -> human node it escalates caught requests to
    rows: list[int]  # main-flow node indices in topological order (latency rows)
    row_of: dict[int, int]
    row_latency: list[LogNormal | float]
    row_preds: list[list[int]]
    terminal_rows: list[int]
    faults: Any
    scenario_controls: dict[int, set[str]]
    limiter_rates: dict[tuple[int, int], float]


class _Resolver:
    """Effective behaviour of one node: run overrides > node config > documented defaults."""

    def __init__(self, graph: Graph, catalogue: SimulationCatalogue, params: SimulationParams) -> None:
        self.g = graph
        self.cat = catalogue
        self.params = params

    def override(self, v: int) -> Any:
        return self.params.node_overrides.get(self.g.ids[v])

    def is_active_control(self, v: int) -> bool:
        return (
            self.g.categories[v] == "control"
            and self.g.types[v] in self.cat.behaviour.controls
            and self.g.configs[v].get("on_fail") != "log_only"
        )

    def detection(self, v: int, scenario: Scenario) -> float:
        ov = self.override(v)
        if ov is not None and scenario.id in ov.detection:
            return ov.detection[scenario.id]
        if ov is not None and ov.detection_rate is not None:
            return ov.detection_rate
        cfg = self.g.configs[v].get("detection_rate")
        if isinstance(cfg, int | float) and not isinstance(cfg, bool):
            return float(cfg)
        return self.cat.detection_rate(self.g.types[v], scenario.id, self.g.configs[v])

    def config_control(self, v: int, scenario: Scenario) -> float:
        """Rate at which a step's own config (a pinned model version …) catches the scenario."""
        rate = 0.0
        for cc in self.cat.behaviour.config_controls:
            if self.g.types[v] not in cc.node_types or scenario.id not in cc.detection:
                continue
            value = self.g.configs[v].get(cc.field)
            on = value is True if cc.when == "true" else value not in (None, "", False, [])
            if on:
                rate = max(rate, cc.detection[scenario.id])
        ov = self.override(v)
        if rate > 0 and ov is not None and scenario.id in ov.detection:
            rate = ov.detection[scenario.id]
        return rate

    def false_positive(self, v: int) -> float:
        ov = self.override(v)
        if ov is not None and ov.false_positive_rate is not None:
            return ov.false_positive_rate
        cfg = self.g.configs[v].get("false_positive_rate")
        if isinstance(cfg, int | float) and not isinstance(cfg, bool):
            return float(cfg)
        return self.cat.behaviour.controls[self.g.types[v]].false_positive_rate

    def added_latency(self, v: int) -> float:
        ov = self.override(v)
        if ov is not None and ov.added_latency_ms is not None:
            return ov.added_latency_ms
        cfg = self.g.configs[v].get("added_latency_ms")
        if isinstance(cfg, int | float) and not isinstance(cfg, bool):
            return float(cfg)
        b = self.cat.behaviour.controls.get(self.g.types[v])
        return b.added_latency_ms if b else 0.0

    def vendor_key(self, v: int) -> str:
        vendor = self.g.configs[v].get("vendor")
        if isinstance(vendor, str) and vendor.strip():
            return vendor.strip().lower()
        # Unknown vendor: assume it is not shared with another step (stated in the docs).
        return f"node:{self.g.ids[v]}"

    def vendor_profile(self, v: int) -> tuple[LogNormal, float]:
        key = self.vendor_key(v)
        base: VendorProfile = self.cat.behaviour.vendor(key)
        median, p99, avail = base.latency_median_ms, base.latency_p99_ms, base.availability
        for ov in (self.params.vendor_overrides.get(key), self.override(v)):
            if ov is None:
                continue
            median = ov.latency_median_ms if ov.latency_median_ms is not None else median
            p99 = ov.latency_p99_ms if ov.latency_p99_ms is not None else p99
            avail = ov.availability if ov.availability is not None else avail
        return LogNormal(median, max(p99, median)), avail

    def node_latency(self, v: int) -> LogNormal | float:
        t = self.g.types[v]
        if t in MODEL_TYPES:
            return self.vendor_profile(v)[0]
        proc = self.cat.behaviour.processing.get(t)
        ov = self.override(v)
        if proc is not None:
            median, p99 = proc.latency_median_ms, proc.latency_p99_ms
            if ov is not None and ov.latency_median_ms is not None:
                median = ov.latency_median_ms
            if ov is not None and ov.latency_p99_ms is not None:
                p99 = ov.latency_p99_ms
            return LogNormal(median, max(p99, median))
        return self.added_latency(v)

    def human(self, v: int) -> HumanPlan | None:
        b = self.cat.behaviour.controls.get(self.g.types[v])
        if b is None or not b.human:
            return None
        cfg = self.g.configs[v]
        ov = self.override(v)
        share = b.review_share
        sample_rate = cfg.get("sample_rate")
        if isinstance(sample_rate, int | float) and not isinstance(sample_rate, bool):
            share = float(sample_rate)
        minutes = b.review_minutes
        review_minutes = cfg.get("review_minutes")
        if (
            isinstance(review_minutes, int | float)
            and not isinstance(review_minutes, bool)
            and review_minutes > 0
        ):
            minutes = float(review_minutes)
        if ov is not None and ov.review_share is not None:
            share = ov.review_share
        if ov is not None and ov.review_minutes:
            minutes = ov.review_minutes
        median = minutes * 60_000.0
        return HumanPlan(
            v,
            share,
            LogNormal(median, median * self.cat.behaviour.human.review_p99_factor),
            b.detection_requires_review,
        )


def _check_params(doc: WorkflowDocument, catalogue: SimulationCatalogue, params: SimulationParams) -> None:
    errors: list[ErrorItem] = []
    ids = set(catalogue.scenarios.ids())
    for sid in params.scenario_weights:
        if sid not in ids:
            errors.append(ErrorItem(f"params.scenario_weights.{sid}", "unknown scenario"))
    nodes = {n.id: n for n in doc.nodes}
    config_types = {
        sid: {t for cc in catalogue.behaviour.config_controls if sid in cc.detection for t in cc.node_types}
        for sid in ids
    }
    for nid, ov in params.node_overrides.items():
        node = nodes.get(nid)
        if node is None:
            errors.append(ErrorItem(f"params.node_overrides.{nid}", "no node with this id in the workflow"))
            continue
        for sid in ov.detection:
            s = catalogue.scenarios.get(sid)
            if s is None:
                errors.append(ErrorItem(f"params.node_overrides.{nid}.detection.{sid}", "unknown scenario"))
            elif node.type not in s.controls and node.type not in config_types[sid]:
                errors.append(
                    ErrorItem(
                        f"params.node_overrides.{nid}.detection.{sid}",
                        f"a {node.type} step cannot catch {sid}",
                    )
                )
    if (
        params.scenario_weights
        and sum(params.scenario_weights.get(s.id, s.weight) for s in catalogue.scenarios.scenarios) <= 0
    ):
        errors.append(ErrorItem("params.scenario_weights", "the weights add up to zero"))
    if errors:
        raise DomainError("The simulation parameters are not valid.", errors)


def _facts_hold(doc: WorkflowDocument, scenario: Scenario) -> bool:
    facts = doc.facts.model_dump()
    return all(facts.get(k) == v for k, v in scenario.requires_facts.items())


def build_plan(doc: WorkflowDocument, catalogue: SimulationCatalogue, params: SimulationParams) -> Plan:
    """Precompute the graph, the per-scenario control chains and the vendor/human behaviour."""
    _check_params(doc, catalogue, params)
    g = build_graph(doc)
    r = _Resolver(g, catalogue, params)
    scenarios = list(catalogue.scenarios.scenarios)
    not_applicable: dict[str, str] = {}

    weights = []
    for s in scenarios:
        w = params.scenario_weights.get(s.id)
        if w is None:
            w = s.weight
            if not _facts_hold(doc, s):
                w = 0.0
                not_applicable[s.id] = "workflow facts: " + ", ".join(
                    f"needs {k} = {v}" for k, v in s.requires_facts.items()
                )
        weights.append(w)
    warr = np.asarray(weights, dtype=np.float64)
    warr = warr / warr.sum()

    rows = [v for v in range(g.size) if g.main[v]]
    row_of = {v: i for i, v in enumerate(rows)}
    row_preds = [[row_of[u] for u in g.data_pred[v] if g.main[u]] for v in rows]
    terminal_rows = [row_of[v] for v in rows if not any(g.main[w] for w in g.data_succ[v])]
    row_latency = [r.node_latency(v) for v in rows]

    # Controls that act on a scenario, per node, with their scope.
    scenario_controls = {i: set(s.controls) for i, s in enumerate(scenarios)}
    detect: dict[int, DetectPlan] = {}
    for i, s in enumerate(scenarios):
        if s.mechanism != "detect":
            continue
        plan = _detect_plan(g, r, catalogue, s)
        detect[i] = plan
        if not plan.applicable and s.id not in not_applicable:
            not_applicable[s.id] = "no path in this workflow from where it enters to where it does harm"

    models: list[ModelPlan] = []
    for v in rows:
        if g.types[v] in MODEL_TYPES:
            models.append(_model_plan(g, r, catalogue, v))
    limiter_rates: dict[tuple[int, int], float] = {}
    for i, s in enumerate(scenarios):
        if s.mechanism in VENDOR_MECHANISMS and "rate_limiter" in s.controls:
            for mp in models:
                if mp.limiter is not None:
                    limiter_rates[(i, mp.limiter)] = r.detection(mp.limiter, s)
    if not models:
        for s in scenarios:
            if s.mechanism in VENDOR_MECHANISMS and s.id not in not_applicable:
                not_applicable[s.id] = "no model call in the main flow"

    benign_columns = [
        v
        for v in rows
        if r.is_active_control(v)
        and catalogue.behaviour.controls[g.types[v]].scope == "path"
        and r.false_positive(v) > 0
    ]
    benign_fp = np.asarray([r.false_positive(v) for v in benign_columns], dtype=np.float64)
    benign_blocking = np.asarray(
        [catalogue.behaviour.controls[g.types[v]].blocking for v in benign_columns], dtype=bool
    )

    humans: dict[int, HumanPlan] = {}
    escalations: dict[int, int] = {}
    for v in range(g.size):
        if not r.is_active_control(v):
            continue
        hp = r.human(v)
        if hp is not None:
            humans[v] = hp
        for t in g.escalation_out[v]:
            target = r.human(t) if r.is_active_control(t) else None
            if target is not None and v not in escalations:
                escalations[v] = t
                humans.setdefault(t, target)

    return Plan(
        graph=g,
        scenarios=scenarios,
        weights=warr,
        not_applicable=not_applicable,
        detect=detect,
        models=models,
        benign_columns=benign_columns,
        benign_fp=benign_fp,
        benign_blocking=benign_blocking,
        humans=humans,
        escalations=escalations,
        rows=rows,
        row_of=row_of,
        row_latency=row_latency,
        row_preds=row_preds,
        terminal_rows=terminal_rows,
        faults=catalogue.behaviour.faults,
        scenario_controls=scenario_controls,
        limiter_rates=limiter_rates,
    )


def _detect_plan(g: Graph, r: _Resolver, catalogue: SimulationCatalogue, s: Scenario) -> DetectPlan:
    behaviours = catalogue.behaviour.controls
    listed = set(s.controls)
    rate: dict[int, float] = {}
    for v in range(g.size):
        if r.is_active_control(v) and g.types[v] in listed:
            d = r.detection(v, s)
            if d > 0:
                rate[v] = d
        elif g.types[v] not in listed:
            d = r.config_control(v, s)
            if d > 0:
                rate[v] = d
    entry_types = set(catalogue.scenarios.entry_points[s.enters])

    if s.reach == "workflow":
        entries = [v for v in range(g.size) if g.types[v] in entry_types]
        if not entries:
            return DetectPlan(applicable=False)
        cols = sorted(rate)
        return _finish_detect(g, behaviours, rate, cols, [frozenset(cols)])

    scope = {
        v: behaviours[g.types[v]].scope
        if g.types[v] in behaviours and g.categories[v] == "control"
        else "path"
        for v in rate
    }
    workflow_wide = frozenset(v for v in rate if scope[v] == "workflow")

    def contrib(v: int) -> frozenset[int]:
        own = {v} if v in rate and scope[v] in ("path", "attached") else set()
        own.update(u for u in g.neighbours[v] if u in rate and scope[u] == "attached")
        return frozenset(own)

    entries_set = {v for v in range(g.size) if g.main[v] and g.types[v] in entry_types}
    harms: set[int] = set()
    for point in (s.harm, s.harm_fallback):
        if point is not None and not harms:
            harm_types = set(catalogue.scenarios.harm_points[point])
            harms = {v for v in range(g.size) if g.main[v] and g.types[v] in harm_types}
    sets = path_sets(g, entries_set, harms, contrib)
    if not sets:
        return DetectPlan(applicable=False)
    sets = [ps | workflow_wide for ps in sets]
    # Order met: the earliest main-flow position at which a control acts (its own position, or
    # that of the step it is attached to); workflow-wide controls come last.
    first_met: dict[int, int] = {}
    for v in range(g.size):
        if g.main[v]:
            for c in contrib(v):
                first_met.setdefault(c, v)
    cols = sorted({c for ps in sets for c in ps}, key=lambda c: (first_met.get(c, g.size), c))
    return _finish_detect(g, behaviours, rate, cols, sets)


def _finish_detect(
    g: Graph, behaviours: Any, rate: dict[int, float], cols: list[int], sets: list[frozenset[int]]
) -> DetectPlan:
    col_pos = {c: i for i, c in enumerate(cols)}
    blocking = [g.categories[c] == "control" and behaviours[g.types[c]].blocking for c in cols]
    return DetectPlan(
        applicable=True,
        columns=cols,
        rates=np.asarray([rate[c] for c in cols], dtype=np.float64),
        blocking=np.asarray(blocking, dtype=bool),
        sets=[np.asarray(sorted(col_pos[c] for c in ps), dtype=np.intp) for ps in sets if ps],
        uncovered=any(not ps for ps in sets),
    )


def _model_plan(g: Graph, r: _Resolver, catalogue: SimulationCatalogue, v: int) -> ModelPlan:
    latency, availability = r.vendor_profile(v)
    mp = ModelPlan(node=v, vendor=r.vendor_key(v), latency=latency, availability=availability)
    faults = catalogue.behaviour.faults
    # Fallback: an edge from a fallback router or breaker in front of / beside the call, or from
    # the call itself. A fallback to the same vendor does not help when that vendor fails.
    near = _controls_in_front(g, v) | g.neighbours[v]
    owners = sorted(
        u for u in near if r.is_active_control(u) and g.types[u] in ("fallback_router", "circuit_breaker")
    )
    owners.append(v)
    for owner in owners:
        for _eid, target in sorted(g.fallback_out[owner]):
            if target == v:
                continue
            if g.types[target] in MODEL_TYPES:
                if r.vendor_key(target) == mp.vendor:
                    continue
                lat, avail = r.vendor_profile(target)
            else:
                lat_or_const = r.node_latency(target)
                lat = (
                    lat_or_const
                    if isinstance(lat_or_const, LogNormal)
                    else LogNormal(max(lat_or_const, 1.0), max(lat_or_const, 1.0))
                )
                avail = 1.0
            mp.fallback_owner, mp.fallback_target = owner, target
            mp.fallback_latency, mp.fallback_availability = lat, avail
            break
        if mp.fallback_target is not None:
            break
    timeouts: list[tuple[float, int]] = []
    own_timeout = g.configs[v].get("timeout_ms")
    if isinstance(own_timeout, int | float) and not isinstance(own_timeout, bool) and own_timeout > 0:
        timeouts.append((float(own_timeout), v))
    breakers = sorted(u for u in near if r.is_active_control(u) and g.types[u] == "circuit_breaker")
    for b in breakers:
        t = g.configs[b].get("timeout_ms")
        timeouts.append(
            (float(t) if isinstance(t, int | float) and t else faults.default_breaker_timeout_ms, b)
        )
    if timeouts:
        mp.timeout_ms, mp.timeout_owner = min(timeouts)
    if breakers:
        mp.breaker = breakers[0]
    limiters = sorted(
        u for u in _ancestors(g, v) if g.main[u] and r.is_active_control(u) and g.types[u] == "rate_limiter"
    )
    if limiters:
        mp.limiter = limiters[0]
    return mp


def _controls_in_front(g: Graph, v: int) -> set[int]:
    """The run of control steps directly in front of ``v`` on data edges (router → breaker → call)."""
    seen: set[int] = set()
    stack = [u for u in g.data_pred[v] if g.categories[u] == "control"]
    while stack:
        u = stack.pop()
        if u not in seen:
            seen.add(u)
            stack.extend(w for w in g.data_pred[u] if g.categories[w] == "control")
    return seen


def _ancestors(g: Graph, v: int) -> set[int]:
    seen: set[int] = set()
    stack = list(g.data_pred[v])
    while stack:
        u = stack.pop()
        if u not in seen:
            seen.add(u)
            stack.extend(g.data_pred[u])
    return seen
