"""The graph primitives a rule's condition is built from; each runs in O(V + E).

Every primitive returns an :class:`Outcome`: a status (met, partial, missing, not_applicable or
needs_evidence), the steps that show it (offending steps when the condition fails, the steps
that satisfy it when it holds), witness paths for path conditions, and plain-language
``expected`` / ``actual`` texts. Steps are indices into the :class:`~analysis.graph.Graph`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis.graph import Graph, is_set, same_value, value_in
from analysis.ruleset import (
    Attached,
    Exists,
    FallbackToOtherVendor,
    ForbiddenValue,
    HasEdge,
    NeedsEvidence,
    NodeHasConfig,
    PathPasses,
    Selector,
)

# Paths reported per finding: enough to show the problem without a megabyte of JSON for a
# 10,000-step map. Every offending step is still listed in ``node_ids``.
MAX_PATHS = 20
MAX_NAMED = 8


@dataclass
class Outcome:
    status: str
    expected: str
    actual: str
    nodes: list[int] = field(default_factory=list)
    paths: list[list[int]] = field(default_factory=list)


def describe(selectors: Sequence[Selector]) -> str:
    """A short human description of a selector list, e.g. ``llm_call/agent``."""
    parts = []
    for sel in selectors:
        if sel.types:
            text = "/".join(sel.types)
        elif sel.trusted is False:
            text = "untrusted " + ("/".join(sel.categories) if sel.categories else "input")
        else:
            text = "/".join(sel.categories) if sel.categories else "trusted step"
        filters = [f"{k} in {v}" if len(v) > 1 else f"{k}={v[0]}" for k, v in sel.where.items()]
        filters += [f"{k} not in {v}" if len(v) > 1 else f"{k}≠{v[0]}" for k, v in sel.where_not.items()]
        filters += [f"with {k}" for k in sel.present]
        filters += [f"without {k}" for k in sel.missing]
        if filters:
            text += " (" + ", ".join(_fmt(f) for f in filters) + ")"
        parts.append(text)
    return " or ".join(parts)


def _fmt(value: Any) -> str:
    return str(value).replace("True", "true").replace("False", "false").replace("'", "")


def _names(g: Graph, nodes: Sequence[int]) -> str:
    shown = ", ".join(g.ids[i] for i in nodes[:MAX_NAMED])
    more = len(nodes) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def _with_values(g: Graph, nodes: Sequence[int], fields: Sequence[str]) -> str:
    """``trace (retention_days=7)``, naming unset fields as ``unset``."""
    out = []
    for i in nodes[:MAX_NAMED]:
        values = ", ".join(
            f"{f}={_fmt(g.configs[i][f]) if is_set(g.configs[i].get(f)) else 'unset'}" for f in fields
        )
        out.append(f"{g.ids[i]} ({values})")
    more = len(nodes) - MAX_NAMED
    return ", ".join(out) + (f" and {more} more" if more > 0 else "")


def _aggregate(
    passed: list[int], partial: list[int], failed: list[int], quantifier: str
) -> tuple[str, list[int]]:
    """Status over per-step results, and the steps to show for it."""
    if quantifier == "any":
        if passed:
            return "met", passed
        if partial:
            return "partial", partial + failed
        return "missing", failed
    if not partial and not failed:
        return "met", passed
    if not passed and not partial:
        return "missing", failed
    return "partial", sorted(partial + failed)


# --- path_passes ------------------------------------------------------------------------------


def path_passes(cond: PathPasses, g: Graph) -> Outcome:
    """Every path from a source to a target passes a ``via`` step.

    One breadth-first search from all sources over the graph with the ``via`` steps removed
    finds every unguarded target and, through BFS parents, one shortest witness path to each.
    """
    src_desc, tgt_desc, via_desc = describe(cond.sources), describe(cond.targets), describe(cond.via)
    expected = f"every path from {src_desc} to {tgt_desc} passes {via_desc}"
    via = g.mask(cond.via)
    sources = [s for s in g.select(cond.sources) if not via[s]]
    targets = g.select(cond.targets)
    if not sources or not targets:
        missing_desc = src_desc if not sources else tgt_desc
        return Outcome("not_applicable", expected, f"the workflow has no {missing_desc} step")
    tgt = g.mask(cond.targets)
    succ = g.succ(cond.edge_kinds)
    n = g.n

    seen = [False] * n
    parent = [-1] * n
    hit: dict[int, int] = {}
    for s in sources:
        seen[s] = True
    queue = list(sources)
    for u in queue:
        for v in succ[u]:
            if tgt[v] and v not in hit:
                hit[v] = u
            if not seen[v] and not via[v]:
                seen[v] = True
                parent[v] = u
                queue.append(v)

    reach = g.reachable(sources, cond.edge_kinds)  # cached: rules share their sources
    reached = [t for t in targets if reach[t]]
    if not reached:
        return Outcome("not_applicable", expected, f"no path leads from {src_desc} to {tgt_desc}")
    if not hit:
        # Show the guards: via steps that lie between a source and a target.
        back = g.coreachable(targets, cond.edge_kinds)
        guards = [i for i in g.select(cond.via) if reach[i] and back[i]]
        return Outcome(
            "met",
            expected,
            f"all {len(reached)} reachable {tgt_desc} step(s) are guarded by {_names(g, guards)}",
            guards,
        )
    bad = sorted(hit)
    paths = []
    for t in bad[:MAX_PATHS]:
        path = [t]
        u = hit[t]
        while u != -1:
            path.append(u)
            u = parent[u]
        path.reverse()
        paths.append(path)
    on_paths = sorted({i for p in paths for i in p} | set(bad))
    actual = (
        f"{len(bad)} of {len(reached)} reachable {tgt_desc} step(s) can be reached without passing {via_desc}"
    )
    status = "partial"
    if len(bad) == len(reached):
        # Every target is exposed; it is still partial if some entry points are guarded.
        unguarded, reaching = _unguarded_sources(g, cond, sources, targets, via)
        status = "missing" if unguarded == reaching else "partial"
        actual += f" (from {unguarded} of {reaching} {src_desc} step(s))"
    actual += ": " + " ; ".join(" → ".join(g.ids[i] for i in p) for p in paths[:3])
    if len(bad) > 3:
        actual += f" ; and {len(bad) - 3} more"
    return Outcome(status, expected, actual, on_paths, paths)


def _unguarded_sources(
    g: Graph, cond: PathPasses, sources: list[int], targets: list[int], via: list[bool]
) -> tuple[int, int]:
    """How many sources have an unguarded path to a target, and how many reach one at all.

    A backward walk from the targets over the graph without ``via`` steps finds the first;
    the (cached) backward reach of the targets over the whole graph gives the second.
    Comparing them tells a wholly unguarded workflow (missing) from one where some entry
    points are guarded (partial).
    """
    pred = g.pred(cond.edge_kinds)
    is_source = [False] * g.n
    for s in sources:
        is_source[s] = True
    seen = [False] * g.n
    found = set()
    queue = list(targets)
    for u in queue:
        for v in pred[u]:
            if is_source[v]:
                found.add(v)
            if not seen[v] and not via[v]:
                seen[v] = True
                queue.append(v)
    back = g.coreachable(targets, cond.edge_kinds)
    return len(found), sum(1 for s in sources if back[s])


# --- node_has_config --------------------------------------------------------------------------


def _field_score(cond: NodeHasConfig, value: Any) -> float:
    """1 pass, 0.5 partial, 0 fail for one field of one step."""
    check, want = cond.check, cond.value
    if check == "present":
        return 1.0 if is_set(value) else 0.0
    if check == "equals":
        return 1.0 if value is not None and same_value(value, want) else 0.0
    if check in ("at_least", "at_most"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return 0.0
        assert isinstance(want, int | float)
        ok = value >= want if check == "at_least" else value <= want
        return 1.0 if ok else 0.0
    assert isinstance(want, list)
    if check == "one_of":
        return 1.0 if value is not None and not isinstance(value, list) and value_in(value, want) else 0.0
    # contains_all: a list field holding some of the required entries is partial.
    if not isinstance(value, list):
        return 0.0
    have = sum(1 for w in want if value_in(w, value))
    return 1.0 if have == len(want) else (0.5 if have else 0.0)


def _expected_config(cond: NodeHasConfig) -> str:
    fields = " and ".join(cond.fields)
    what = {
        "present": f"{fields} set",
        "equals": f"{fields} = {_fmt(cond.value)}",
        "at_least": f"{fields} ≥ {_fmt(cond.value)}",
        "at_most": f"{fields} ≤ {_fmt(cond.value)}",
        "one_of": f"{fields} one of {_fmt(cond.value)}",
        "contains_all": f"{fields} including {_fmt(cond.value)}",
    }[cond.check]
    who = "every" if cond.quantifier == "all" else "at least one"
    text = f"{who} {describe(cond.nodes)} step has {what}"
    if cond.or_adjacent:
        text += f" (or is attached to {describe(cond.or_adjacent)})"
    return text


def node_has_config(cond: NodeHasConfig, g: Graph) -> Outcome:
    """Config fields of the selected steps pass the check (``all`` or ``any`` of the steps)."""
    expected = _expected_config(cond)
    nodes = g.select(cond.nodes)
    if not nodes:
        status = "missing" if cond.if_none == "missing" else "not_applicable"
        return Outcome(status, expected, f"the workflow has no {describe(cond.nodes)} step")
    adjacent = g.attached(nodes, cond.or_adjacent) if cond.or_adjacent else [False] * len(nodes)
    passed: list[int] = []
    partial: list[int] = []
    failed: list[int] = []
    for i, adj in zip(nodes, adjacent, strict=True):
        if adj:
            passed.append(i)
            continue
        scores = [_field_score(cond, g.configs[i].get(f)) for f in cond.fields]
        (passed if min(scores) == 1.0 else failed if max(scores) == 0.0 else partial).append(i)
    status, shown = _aggregate(passed, partial, failed, cond.quantifier)
    if status == "met":
        actual = f"{len(passed)} of {len(nodes)} step(s) comply: {_names(g, passed)}"
    else:
        parts = []
        if failed:
            parts.append("fails on " + _with_values(g, failed, cond.fields))
        if partial:
            parts.append("partly on " + _with_values(g, partial, cond.fields))
        actual = f"{len(nodes) - len(passed)} of {len(nodes)} step(s) fall short: " + "; ".join(parts)
    return Outcome(status, expected, actual, shown)


# --- exists, attached, has_edge ---------------------------------------------------------------


def exists(cond: Exists, g: Graph) -> Outcome:
    """A selected step exists (attached to / reachable from the given steps, if asked)."""
    what = describe(cond.nodes)
    expected = f"a {what} step"
    if cond.connected_to:
        expected += f" attached to {describe(cond.connected_to)}"
    if cond.reachable_from:
        expected += f" reachable from {describe(cond.reachable_from)}"
    candidates = g.select(cond.nodes)
    if not candidates:
        return Outcome("missing", expected, f"the workflow has no {what} step")
    ok = candidates
    if cond.connected_to:
        flags = g.attached(ok, cond.connected_to)
        ok = [i for i, f in zip(ok, flags, strict=True) if f]
    if cond.reachable_from:
        reach = g.reachable(g.select(cond.reachable_from), ("data", "fallback", "escalation"))
        ok = [i for i in ok if reach[i]]
    if ok:
        return Outcome("met", expected, f"present: {_names(g, ok)}", ok)
    return Outcome(
        "partial", expected, f"{_names(g, candidates)} present but not connected as required", candidates
    )


def attached(cond: Attached, g: Graph) -> Outcome:
    """Every selected step is attached to a ``to`` step (or one ``or_anywhere`` step covers all)."""
    expected = f"every {describe(cond.nodes)} step is attached to {describe(cond.to)}"
    nodes = g.select(cond.nodes)
    if not nodes:
        return Outcome("not_applicable", expected, f"the workflow has no {describe(cond.nodes)} step")
    if cond.or_anywhere:
        covering = g.select(cond.or_anywhere)
        if covering:
            return Outcome("met", expected, f"{_names(g, covering)} covers every step", covering + nodes)
    flags = g.attached(nodes, cond.to)
    ok = [i for i, f in zip(nodes, flags, strict=True) if f]
    bad = [i for i, f in zip(nodes, flags, strict=True) if not f]
    status, shown = _aggregate(ok, [], bad, "all")
    if status == "met":
        return Outcome(status, expected, f"all {len(nodes)} step(s) attached", shown)
    return Outcome(
        status, expected, f"{len(bad)} of {len(nodes)} step(s) not attached: {_names(g, bad)}", shown
    )


def has_edge(cond: HasEdge, g: Graph) -> Outcome:
    """Selected steps have an edge of the given kinds to a ``to`` step."""
    kinds = "/".join(cond.edge_kinds)
    who = "every" if cond.quantifier == "all" else "at least one"
    expected = f"{who} {describe(cond.nodes)} step has a {kinds} edge to {describe(cond.to)}"
    nodes = g.select(cond.nodes)
    if not nodes:
        status = "missing" if cond.if_none == "missing" else "not_applicable"
        return Outcome(status, expected, f"the workflow has no {describe(cond.nodes)} step")
    succ = g.succ(cond.edge_kinds)
    to = g.mask(cond.to)
    ok = [i for i in nodes if any(to[j] for j in succ[i])]
    okset = set(ok)
    bad = [i for i in nodes if i not in okset]
    status, shown = _aggregate(ok, [], bad, cond.quantifier)
    if status == "met":
        return Outcome(status, expected, f"{kinds} edge from {_names(g, ok)}", shown)
    return Outcome(status, expected, f"no {kinds} edge to {describe(cond.to)} from {_names(g, bad)}", shown)


# --- fallback_to_other_vendor -----------------------------------------------------------------


def _add_vendor(store: dict[int, list[str]], key: int, vendor: str) -> None:
    # Two distinct named vendors answer "is there one different from mine?"; an undeclared
    # vendor ("") is kept once, apart, so it never crowds out a named one.
    known = store.setdefault(key, [])
    if vendor in known:
        return
    if not vendor or sum(1 for v in known if v) < 2:
        known.append(vendor)


def fallback_to_other_vendor(cond: FallbackToOtherVendor, g: Graph) -> Outcome:
    """Every selected step can fail over to a selected step of another vendor."""
    what = describe(cond.nodes)
    expected = f"every {what} step has a {'/'.join(cond.edge_kinds)} route to a {what} step of another vendor"
    nodes = g.select(cond.nodes)
    if not nodes:
        return Outcome("not_applicable", expected, f"the workflow has no {what} step")
    kinds = set(cond.edge_kinds)
    target = g.mask(cond.nodes)
    router = g.mask(cond.routers) if cond.routers else [False] * g.n
    ctrl, cluster = g.is_control, g.cluster()

    def vendor(i: int) -> str:
        v = g.configs[i].get("vendor")
        return v.strip().lower() if isinstance(v, str) and v.strip() else ""

    has_router: set[int] = {cluster[i] for i in range(g.n) if router[i] and ctrl[i]}
    out_any: dict[int, list[str]] = {}  # cluster → vendors of target steps it feeds
    out_kind: dict[int, list[str]] = {}  # cluster → vendors of target steps it fails over to
    entered_by_kind: set[int] = set()
    fallback_target = [False] * g.n
    for a, b, kind in g.edges():
        if kind in kinds:
            fallback_target[b] = True
            if ctrl[b] and target[a]:
                entered_by_kind.add(cluster[b])
        if ctrl[a] and target[b]:
            _add_vendor(out_any, cluster[a], vendor(b))
            if kind in kinds:
                _add_vendor(out_kind, cluster[a], vendor(b))
    for a, b, _kind in g.edges():
        if ctrl[a] and cluster[a] in entered_by_kind and target[b]:
            fallback_target[b] = True

    alternatives: dict[int, list[str]] = {}
    asked = [i for i in nodes if not fallback_target[i]]
    succ, nbrs = g.succ(cond.edge_kinds), g.neighbours()
    for me in asked:
        alts = alternatives.setdefault(me, [])
        for other in succ[me]:  # failover edges out of the step, straight or into controls
            if target[other]:
                alts.append(vendor(other))
            elif ctrl[other]:
                alts.extend(out_any.get(cluster[other], ()))
        for other in nbrs[me]:  # a router cluster next to the step, either way
            if ctrl[other] and cluster[other] in has_router:
                alts.extend(out_kind.get(cluster[other], ()))
    if not asked:
        return Outcome("not_applicable", expected, f"every {what} step is itself a fallback")
    passed, partial, failed = [], [], []
    for i in asked:
        alts = alternatives.get(i, [])
        mine = vendor(i)
        if mine and any(v and v != mine for v in alts):
            passed.append(i)
        elif alts:
            partial.append(i)  # a fallback exists but to the same or an undeclared vendor
        else:
            failed.append(i)
    status, shown = _aggregate(passed, partial, failed, "all")
    if status == "met":
        return Outcome(status, expected, f"all {len(asked)} step(s) fail over to another vendor", shown)
    parts = []
    if failed:
        parts.append(f"no fallback: {_names(g, failed)}")
    if partial:
        parts.append(f"fallback to the same or an undeclared vendor: {_names(g, partial)}")
    return Outcome(status, expected, "; ".join(parts), shown)


# --- forbidden_value, needs_evidence ----------------------------------------------------------


def forbidden_value(cond: ForbiddenValue, g: Graph) -> Outcome:
    """No selected step has the forbidden value."""
    values = ", ".join(_fmt(v) for v in cond.values)
    expected = f"no {describe(cond.nodes)} step has {cond.field} = {values}"
    nodes = g.select(cond.nodes)
    if not nodes:
        return Outcome("not_applicable", expected, f"the workflow has no {describe(cond.nodes)} step")
    bad = [i for i in nodes if value_in(g.configs[i].get(cond.field), cond.values)]
    if bad:
        return Outcome("missing", expected, f"{cond.field} is {values} on {_names(g, bad)}", bad)
    return Outcome("met", expected, f"no step has it ({len(nodes)} checked)", [])


def needs_evidence(cond: NeedsEvidence, g: Graph) -> Outcome:
    """A criterion no workflow map can show."""
    kinds = ", ".join(e.replace("_", " ") for e in cond.evidence)
    return Outcome("needs_evidence", f"evidence: {kinds}", "not visible in a workflow map")


PRIMITIVES: dict[str, Callable[[Any, Graph], Outcome]] = {
    "path_passes": path_passes,
    "node_has_config": node_has_config,
    "exists": exists,
    "attached": attached,
    "fallback_to_other_vendor": fallback_to_other_vendor,
    "has_edge": has_edge,
    "forbidden_value": forbidden_value,
    "needs_evidence": needs_evidence,
}
