"""The simulation engine: seeded, reproducible fault-injection runs of a workflow.

Pure Python and numpy (no Django). ``simulate()`` pushes N synthetic requests through a
``workflowos.workflow/v1`` document and returns a :class:`~simulator.report.SimulationReport`.

The model
---------
*Traffic.* Each request is drawn from the scenario catalogue (``data/scenarios-v1.yaml``) in
proportion to the weights (overridable per run). A scenario whose ``requires_facts`` the workflow
does not declare (a high-stakes decision in a low-stakes workflow) gets weight 0.

*The request's path.* A request runs through the main flow: every step reachable by data edges
from the input steps (from the steps without incoming edges if there are none). Steps reached only
by fallback or escalation edges run only when a request is rerouted or escalated.

*Threats* (mechanism ``detect``). A scenario enters at some steps (its ``enters``: untrusted
inputs, retrieval sources, the model's output, the vendor, the tracing sink) and does harm at
others (``harm``: a model receiving data, any sink, an action). A control acts on the request only
if it lies on a data path between the two (scope ``path``), is joined by an edge to a step on such a
path (scope ``attached``: a tracing or version-pin node hung beside the model call) or, for
workflow-wide faults, sits anywhere (scope ``workflow``: alerting). The plan computes, once per
run and per scenario, the acting control nodes in the order a request meets them and the minimal
sets of them on each path (see ``simulator/plan.py``). Each control catches with its detection
rate, independently (one Bernoulli draw per control per request); the threat *escapes* when on
some path no control caught it, and is otherwise *caught* by the first control that did. A
blocking control (a filter, a validator, a reviewer) stops the request there; a non-blocking one
(a redactor, a version pin, alerting) fixes or flags it and the request goes on. Config can act as
a control too: a model step with a pinned ``model_version`` is not affected by a silent model
change. A control with ``on_fail: log_only`` does not act. Escapes are incidents booked against
the scenario's first PSF domain (and counted in every domain it tests).

*Benign traffic.* Every path-scope control on the main flow may flag a benign request by mistake
(its false-positive rate); a blocking one then refuses it (outcome *caught*, counted as a false
positive). False positives are only drawn for benign requests.

*Vendor faults* (``outage``, ``latency_spike``, ``rate_limit``) hit the vendor behind one model
step of the main flow, chosen uniformly. A fallback edge (from the step, or from a fallback router
or circuit breaker in front of or beside it) reroutes the request: *degraded*, served by the
fallback, unless the fallback uses the same vendor or is itself down; without one the request
*fails*. A timeout (the step's ``timeout_ms`` or a circuit breaker's) cuts a latency spike: the
request then takes the fallback or is retried once; with no timeout the spike is served late and
counts as an escape (PSF-8). A rate limiter upstream of the step keeps most 429s from happening
(the request waits in its queue); a circuit breaker retries a 429 after a back-off. Independently,
each model step is unavailable with probability 1 - availability (vendor defaults, overridable per
vendor and per node); this hits requests that would otherwise be served safely.

*People.* A human-review step reviews its share of the requests that reach it (``sample_rate``),
an approval gate the share that crosses its threshold plus every request it catches; a review adds
a log-normal delay (median ``review_minutes``) to the request's latency and counts towards the
reviewer load. A control with an escalation edge to a human step sends the requests it catches
there for review.

*Latency.* Each step adds its latency (vendor or processing profile, or a control's
``added_latency_ms``); a request's latency is the critical path through the main flow up to where
it stopped, plus any fault delays (timeouts, fallback calls, retries, queues, reviews).

Approximations stated plainly: draws are independent across controls; a request stopped at a step
is counted as not reaching steps later in topological order; background vendor failures only
touch requests that would have been served safely; detections do not depend on earlier controls.

Reproducibility
---------------
Requests are processed in chunks of ``CHUNK_SIZE``; chunk *i* draws from its own generator,
``Generator(PCG64(SeedSequence(seed).spawn(n_chunks)[i]))``, so a result does not depend on timing,
progress reporting or cancellation checks. The same workflow, N, seed, parameters and catalogue
give the same report and journal, byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.catalogue import DOMAINS, SimulationCatalogue, load_simulation_catalogue
from simulator.params import SimulationParams, check_request_count, check_seed, parse_params
from simulator.plan import LogNormal, ModelPlan, Plan, build_plan
from simulator.report import OUTCOMES, Journal, SimulationReport, build_report
from studio.format import WorkflowDocument

ENGINE_VERSION = "workflowos-simulator/1"
CHUNK_SIZE = 20_000

SERVED, CAUGHT, ESCAPED, DEGRADED, FAILED = range(len(OUTCOMES))


class SimulationCancelled(Exception):
    """Raised when ``should_cancel()`` returns true between two chunks."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"simulation cancelled after {done:,} of {total:,} requests")
        self.done = done
        self.total = total


@dataclass
class Totals:
    """Counters over the whole run (the journal arrays hold the per-request detail)."""

    outcome_counts: np.ndarray  # scenarios x outcomes
    caught: np.ndarray  # scenarios x nodes (outcome caught, by node)
    rerouted: np.ndarray  # scenarios x nodes (outcome degraded, by node)
    false_positives: np.ndarray  # nodes
    reviews: np.ndarray  # nodes
    review_ms: np.ndarray  # nodes


class _Chunk:
    """Per-request state of one chunk."""

    def __init__(self, m: int, stop_end: int) -> None:
        self.outcome = np.zeros(m, dtype=np.uint8)
        self.caught = np.full(m, -1, dtype=np.int32)
        self.stop = np.full(m, stop_end, dtype=np.intp)
        self.extra = np.zeros(m, dtype=np.float64)

    def fail(self, idx: np.ndarray, row: int, extra: np.ndarray | float) -> None:
        self.outcome[idx] = FAILED
        self.stop[idx] = row
        self.extra[idx] += extra


def simulate(
    doc: WorkflowDocument,
    *,
    n: int,
    seed: int,
    params: SimulationParams | Mapping[str, Any] | None = None,
    catalogue: SimulationCatalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> SimulationReport:
    """Run N seeded synthetic requests through ``doc`` and return the report and journal.

    ``n`` is capped at 1,000,000 (ValueError beyond). ``params`` holds tolerances, mix and
    overrides (a dict is validated as SimulationParams; DomainError on bad values or unknown ids).
    ``progress(done, n)`` is called after each chunk; ``should_cancel()`` is checked before each
    chunk and raises :class:`SimulationCancelled` when it returns true.
    """
    n = check_request_count(n)
    seed = check_seed(seed)
    if not isinstance(params, SimulationParams):
        params = parse_params(params)
    catalogue = catalogue or load_simulation_catalogue()
    plan = build_plan(doc, catalogue, params)

    size = plan.graph.size
    s_count = len(plan.scenarios)
    totals = Totals(
        outcome_counts=np.zeros((s_count, len(OUTCOMES)), dtype=np.int64),
        caught=np.zeros((s_count, size), dtype=np.int64),
        rerouted=np.zeros((s_count, size), dtype=np.int64),
        false_positives=np.zeros(size, dtype=np.int64),
        reviews=np.zeros(size, dtype=np.int64),
        review_ms=np.zeros(size, dtype=np.float64),
    )
    journal = Journal.allocate(
        n,
        scenario_ids=[s.id for s in plan.scenarios],
        node_ids=plan.graph.ids,
    )
    runner = _Runner(plan)
    n_chunks = math.ceil(n / CHUNK_SIZE)
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(n_chunks)):
        start = i * CHUNK_SIZE
        if should_cancel is not None and should_cancel():
            raise SimulationCancelled(start, n)
        m = min(CHUNK_SIZE, n - start)
        runner.run_chunk(np.random.Generator(np.random.PCG64(child)), m, start, journal, totals)
        if progress is not None:
            progress(start + m, n)

    meta = {
        "engine": ENGINE_VERSION,
        "seed": seed,
        "n": n,
        "chunk_size": CHUNK_SIZE,
        "workflow": {"name": doc.name, "hash": doc.content_hash()},
    }
    return build_report(
        plan=plan, catalogue=catalogue, params=params, totals=totals, journal=journal, meta=meta, doc=doc
    )


class _Runner:
    """Runs chunks against a plan; holds the arrays derived from the plan once per run."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        g = plan.graph
        self.rows_count = len(plan.rows)
        cdf = np.cumsum(plan.weights)
        cdf[-1] = 1.0
        self.cdf = cdf
        self.primary_domain = np.asarray(
            [DOMAINS.index(s.primary_domain) if s.primary_domain else -1 for s in plan.scenarios],
            dtype=np.int8,
        )
        self.detect_nodes = {i: np.asarray(dp.columns, dtype=np.int32) for i, dp in plan.detect.items()}
        self.detect_rows = {
            i: np.asarray([plan.row_of.get(v, self.rows_count) for v in dp.columns], dtype=np.intp)
            for i, dp in plan.detect.items()
        }
        self.benign_nodes = np.asarray(plan.benign_columns, dtype=np.int32)
        self.benign_rows = np.asarray([plan.row_of[v] for v in plan.benign_columns], dtype=np.intp)
        self.human_main = sorted(v for v in plan.humans if g.main[v])
        self.human_all = sorted(plan.humans)
        f = plan.faults
        self.spike = LogNormal(f.spike_median_ms, max(f.spike_p99_ms, f.spike_median_ms))
        self.queue = LogNormal(f.queue_median_ms, max(f.queue_p99_ms, f.queue_median_ms))

    # -- one chunk -------------------------------------------------------------------------------
    def run_chunk(
        self, rng: np.random.Generator, m: int, start: int, journal: Journal, totals: Totals
    ) -> None:
        plan = self.plan
        s_count = len(plan.scenarios)
        r_count = self.rows_count
        scen = np.searchsorted(self.cdf, rng.random(m), side="right")
        np.minimum(scen, s_count - 1, out=scen)

        lat = np.zeros((r_count, m), dtype=np.float64)
        for row, spec in enumerate(plan.row_latency):
            if isinstance(spec, LogNormal):
                lat[row] = spec.draw(rng, m)
            elif spec:
                lat[row] = spec
        reviewed: dict[int, np.ndarray] = {}
        delay: dict[int, np.ndarray] = {}
        for v in self.human_all:
            hp = plan.humans[v]
            share = hp.share if plan.graph.main[v] else 0.0
            reviewed[v] = rng.random(m) < share
            delay[v] = hp.delay.draw(rng, m)

        st = _Chunk(m, r_count)
        order = np.argsort(scen, kind="stable")
        counts = np.bincount(scen, minlength=s_count)
        offset = 0
        for i in range(s_count):
            c = int(counts[i])
            idx = order[offset : offset + c]
            offset += c
            if c == 0:
                continue
            mechanism = plan.scenarios[i].mechanism
            if mechanism == "benign":
                self._benign(rng, st, idx, reviewed, totals)
            elif mechanism == "detect":
                self._detect(rng, st, i, idx, reviewed)
            elif plan.models:
                self._vendor_fault(rng, st, i, idx, lat)

        # Background vendor unavailability on requests that would otherwise be served safely.
        for mp in plan.models:
            down = rng.random(m) >= mp.availability
            hit = np.flatnonzero(down & (st.outcome == SERVED))
            if hit.size:
                self._reroute(rng, st, hit, mp, self._outage_wait(mp), lat)

        # People: reviews of the requests that reached a reviewer, and escalations.
        for v in self.human_main:
            row = plan.row_of[v]
            rv = reviewed[v] & (st.stop >= row)
            add = np.where(rv, delay[v], 0.0)
            lat[row] += add
            totals.reviews[v] += int(rv.sum())
            totals.review_ms[v] += float(add.sum())
        for control, human in sorted(plan.escalations.items()):
            mask = (st.caught == control) & (st.outcome == CAUGHT)
            k = int(mask.sum())
            if k:
                d = plan.humans[human].delay.draw(rng, k)
                st.extra[mask] += d
                totals.reviews[human] += k
                totals.review_ms[human] += float(d.sum())

        # Critical path through the main flow.
        finish = np.empty((r_count + 1, m), dtype=np.float64)
        for row in range(r_count):
            preds = plan.row_preds[row]
            if not preds:
                finish[row] = lat[row]
            elif len(preds) == 1:
                np.add(finish[preds[0]], lat[row], out=finish[row])
            else:
                np.add(np.maximum.reduce([finish[p] for p in preds]), lat[row], out=finish[row])
        if plan.terminal_rows:
            finish[r_count] = np.maximum.reduce([finish[t] for t in plan.terminal_rows])
        else:
            finish[r_count] = 0.0
        total = finish[st.stop, np.arange(m)] + st.extra
        np.maximum(total, 0.0, out=total)

        sl = slice(start, start + m)
        journal.scenario[sl] = scen
        journal.outcome[sl] = st.outcome
        journal.caught_by[sl] = st.caught
        journal.domain[sl] = np.where(st.outcome == ESCAPED, self.primary_domain[scen], -1)
        journal.latency_ms[sl] = np.rint(total).astype(np.int64)

        n_out = len(OUTCOMES)
        size = plan.graph.size
        totals.outcome_counts += np.bincount(scen * n_out + st.outcome, minlength=s_count * n_out).reshape(
            s_count, n_out
        )
        for code, target in ((CAUGHT, totals.caught), (DEGRADED, totals.rerouted)):
            mask = (st.outcome == code) & (st.caught >= 0)
            if mask.any():
                target += np.bincount(scen[mask] * size + st.caught[mask], minlength=s_count * size).reshape(
                    s_count, size
                )

    # -- mechanisms ------------------------------------------------------------------------------
    def _benign(
        self,
        rng: np.random.Generator,
        st: _Chunk,
        idx: np.ndarray,
        reviewed: dict[int, np.ndarray],
        totals: Totals,
    ) -> None:
        plan = self.plan
        k = len(plan.benign_columns)
        if k == 0:
            return
        flags = rng.random((idx.size, k)) < plan.benign_fp
        for j, v in enumerate(plan.benign_columns):
            if v in reviewed:
                flags[:, j] &= reviewed[v][idx]
        blocking = flags & plan.benign_blocking
        any_block = blocking.any(axis=1)
        first_block = np.where(any_block, blocking.argmax(axis=1), k)
        reached = np.arange(k)[None, :] <= first_block[:, None]
        np.add.at(totals.false_positives, self.benign_nodes, (flags & reached).sum(axis=0))
        hit = idx[any_block]
        col = first_block[any_block]
        st.outcome[hit] = CAUGHT
        st.caught[hit] = self.benign_nodes[col]
        st.stop[hit] = self.benign_rows[col]

    def _detect(
        self, rng: np.random.Generator, st: _Chunk, i: int, idx: np.ndarray, reviewed: dict[int, np.ndarray]
    ) -> None:
        plan = self.plan
        dp = plan.detect[i]
        if not dp.applicable:
            return
        if dp.uncovered:
            st.outcome[idx] = ESCAPED
            return
        det = rng.random((idx.size, len(dp.columns))) < dp.rates
        for j, v in enumerate(dp.columns):
            if v in reviewed and plan.graph.main[v]:
                if plan.humans[v].requires_review:
                    det[:, j] &= reviewed[v][idx]
                else:
                    # Whatever the gate catches waits for an approver.
                    reviewed[v][idx] |= det[:, j]
        escape = np.zeros(idx.size, dtype=bool)
        for cols in dp.sets:
            escape |= ~det[:, cols].any(axis=1)
        st.outcome[idx[escape]] = ESCAPED
        keep = ~escape
        hit = idx[keep]
        col = det[keep].argmax(axis=1)
        st.outcome[hit] = CAUGHT
        st.caught[hit] = self.detect_nodes[i][col]
        blocking = dp.blocking[col]
        st.stop[hit[blocking]] = self.detect_rows[i][col[blocking]]

    def _vendor_fault(
        self, rng: np.random.Generator, st: _Chunk, i: int, idx: np.ndarray, lat: np.ndarray
    ) -> None:
        models = self.plan.models
        which = (
            rng.integers(0, len(models), idx.size) if len(models) > 1 else np.zeros(idx.size, dtype=np.int64)
        )
        mechanism = self.plan.scenarios[i].mechanism
        for j, mp in enumerate(models):
            sub = idx[which == j]
            if sub.size == 0:
                continue
            if mechanism == "outage":
                self._reroute(rng, st, sub, mp, self._outage_wait(mp), lat)
            elif mechanism == "latency_spike":
                self._latency_spike(rng, st, sub, mp, lat)
            else:
                self._rate_limit(rng, st, i, sub, mp, lat)

    def _outage_wait(self, mp: ModelPlan) -> float:
        wait = self.plan.faults.outage_detect_ms
        return min(wait, mp.timeout_ms) if mp.timeout_ms is not None else wait

    def _reroute(
        self,
        rng: np.random.Generator,
        st: _Chunk,
        sub: np.ndarray,
        mp: ModelPlan,
        wasted: float,
        lat: np.ndarray,
        credit: int | None = None,
    ) -> None:
        """The call failed after ``wasted`` ms: take the fallback (degraded) or fail there."""
        row = self.plan.row_of[mp.node]
        lat_j = lat[row, sub]
        if mp.fallback_target is None or mp.fallback_latency is None:
            st.fail(sub, row, wasted - lat_j)
            return
        ok = rng.random(sub.size) < mp.fallback_availability
        lat_b = mp.fallback_latency.draw(rng, sub.size)
        owner = mp.fallback_owner if credit is None else credit
        assert owner is not None
        good = sub[ok]
        st.outcome[good] = DEGRADED
        st.caught[good] = owner
        st.extra[good] += wasted + lat_b[ok] - lat_j[ok]
        st.fail(sub[~ok], row, wasted - lat_j[~ok])

    def _latency_spike(
        self, rng: np.random.Generator, st: _Chunk, sub: np.ndarray, mp: ModelPlan, lat: np.ndarray
    ) -> None:
        row = self.plan.row_of[mp.node]
        spike = self.spike.draw(rng, sub.size)
        if mp.timeout_ms is None:
            st.outcome[sub] = ESCAPED
            st.extra[sub] += spike
            return
        timeout = mp.timeout_ms
        lat_j = lat[row, sub]
        cut = lat_j + spike > timeout
        st.extra[sub[~cut]] += spike[~cut]
        cut_idx = sub[cut]
        if cut_idx.size == 0:
            return
        assert mp.timeout_owner is not None
        if mp.fallback_target is not None:
            self._reroute(rng, st, cut_idx, mp, timeout, lat, credit=mp.timeout_owner)
            return
        retry_ok = rng.random(cut_idx.size) < self.plan.faults.spike_retry_success
        good = cut_idx[retry_ok]
        st.outcome[good] = CAUGHT
        st.caught[good] = mp.timeout_owner
        st.extra[good] += timeout
        bad = cut_idx[~retry_ok]
        st.fail(bad, row, 2 * timeout - lat[row, bad])

    def _rate_limit(
        self, rng: np.random.Generator, st: _Chunk, i: int, sub: np.ndarray, mp: ModelPlan, lat: np.ndarray
    ) -> None:
        plan = self.plan
        f = plan.faults
        row = plan.row_of[mp.node]
        rest = sub
        rate = plan.limiter_rates.get((i, mp.limiter)) if mp.limiter is not None else None
        if rate and mp.limiter is not None:
            held = rng.random(sub.size) < rate
            wait = self.queue.draw(rng, sub.size)
            good = sub[held]
            st.outcome[good] = CAUGHT
            st.caught[good] = mp.limiter
            st.extra[good] += wait[held]
            rest = sub[~held]
        if rest.size == 0:
            return
        if mp.fallback_target is not None:
            self._reroute(rng, st, rest, mp, f.rate_limit_error_ms, lat)
        elif mp.breaker is not None and "circuit_breaker" in plan.scenario_controls[i]:
            ok = rng.random(rest.size) < f.rate_limit_retry_success
            good = rest[ok]
            st.outcome[good] = CAUGHT
            st.caught[good] = mp.breaker
            st.extra[good] += f.rate_limit_error_ms + f.rate_limit_backoff_ms
            bad = rest[~ok]
            st.fail(bad, row, f.rate_limit_error_ms + f.rate_limit_backoff_ms - lat[row, bad])
        else:
            st.fail(rest, row, f.rate_limit_error_ms - lat[row, rest])
