"""The workflow as an indexed graph, built once per analysis and shared by every rule.

Steps are numbered by their position in the document; adjacency lists, per-type indexes,
selector matches and the clusters of connected control steps are computed lazily and cached,
so each rule costs O(V + E) at most.

Pure Python (no Django).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from analysis.ruleset import ALL_EDGE_KINDS, AUTONOMY_LEVELS, Selector
from studio.catalogue import Catalogue, NodeType
from studio.format import WorkflowDocument


def is_set(value: Any) -> bool:
    """A config value counts as given unless it is missing, empty text or an empty list."""
    return value is not None and value != "" and value != []


def same_value(a: Any, b: Any) -> bool:
    # 1 == True in Python; a config flag must not match a number.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def value_in(value: Any, allowed: Sequence[Any]) -> bool:
    """``value`` is one of ``allowed``; for a list value, any of its elements is."""
    if isinstance(value, list):
        return any(value_in(v, allowed) for v in value)
    return any(same_value(value, a) for a in allowed)


class Graph:
    """Indexes over one workflow document."""

    def __init__(self, doc: WorkflowDocument, catalogue: Catalogue) -> None:
        self.doc = doc
        self.catalogue = catalogue
        self.type_info: dict[str, NodeType] = {t.type: t for t in catalogue.types}
        nodes = doc.nodes
        self.n = len(nodes)
        self.ids: list[str] = [node.id for node in nodes]
        self.index: dict[str, int] = {node_id: i for i, node_id in enumerate(self.ids)}
        self.types: list[str] = [node.type for node in nodes]
        self.configs: list[dict[str, Any]] = [node.config for node in nodes]
        self.is_control: list[bool] = [
            (info := self.type_info.get(t)) is not None and info.category == "control" for t in self.types
        ]
        self.by_type: dict[str, list[int]] = {}
        for i, t in enumerate(self.types):
            self.by_type.setdefault(t, []).append(i)
        index = self.index
        # Three parallel lists rather than one tuple per edge: fewer objects for the garbage
        # collector to walk on large maps. Edges naming unknown steps cannot come out of
        # parse_document; skip them defensively.
        known = [e for e in doc.edges if e.from_ in index and e.to in index]
        self.edge_src: list[int] = [index[e.from_] for e in known]
        self.edge_dst: list[int] = [index[e.to] for e in known]
        self.edge_kind: list[str] = [e.kind for e in known]
        self._succ: dict[frozenset[str], list[list[int]]] = {}
        self._pred: dict[frozenset[str], list[list[int]]] = {}
        self._neighbours: list[list[int]] | None = None
        self._cluster: list[int] | None = None
        self._select: dict[str, list[int]] = {}
        self._mask: dict[str, list[bool]] = {}
        self._contacts: dict[str, tuple[dict[int, int], dict[int, list[int]]]] = {}
        self._reach: dict[tuple[tuple[int, ...], frozenset[str]], list[bool]] = {}
        self._coreach: dict[tuple[tuple[int, ...], frozenset[str]], list[bool]] = {}
        self.max_autonomy = max(
            (
                AUTONOMY_LEVELS.index(c["autonomy_level"])
                for c in self.configs
                if c.get("autonomy_level") in AUTONOMY_LEVELS
            ),
            default=-1,
        )

    # -- adjacency ------------------------------------------------------------------------------
    def edges(self) -> Iterator[tuple[int, int, str]]:
        """Every edge as (from index, to index, kind)."""
        return zip(self.edge_src, self.edge_dst, self.edge_kind, strict=True)

    def succ(self, kinds: Iterable[str]) -> list[list[int]]:
        """Successor lists over edges of the given kinds."""
        key = frozenset(kinds)
        if key not in self._succ:
            out: list[list[int]] = [[] for _ in range(self.n)]
            for a, b, kind in self.edges():
                if kind in key:
                    out[a].append(b)
            self._succ[key] = out
        return self._succ[key]

    def pred(self, kinds: Iterable[str]) -> list[list[int]]:
        """Predecessor lists over edges of the given kinds."""
        key = frozenset(kinds)
        if key not in self._pred:
            out: list[list[int]] = [[] for _ in range(self.n)]
            for a, b, kind in self.edges():
                if kind in key:
                    out[b].append(a)
            self._pred[key] = out
        return self._pred[key]

    def neighbours(self) -> list[list[int]]:
        """Undirected neighbours over edges of every kind."""
        if self._neighbours is None:
            succ, pred = self.succ(ALL_EDGE_KINDS), self.pred(ALL_EDGE_KINDS)
            self._neighbours = [s + p for s, p in zip(succ, pred, strict=True)]
        return self._neighbours

    def cluster(self) -> list[int]:
        """For each control step, a representative of its cluster (control steps joined by edges
        between control steps); -1 for other steps. A chain of controls acts as one guard."""
        if self._cluster is None:
            parent = list(range(self.n))

            def find(x: int) -> int:
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x

            ctrl = self.is_control
            for a, b, _kind in self.edges():
                if ctrl[a] and ctrl[b]:
                    ra, rb = find(a), find(b)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
            self._cluster = [find(i) if ctrl[i] else -1 for i in range(self.n)]
        return self._cluster

    # -- selectors ------------------------------------------------------------------------------
    def _candidate_types(self, sel: Selector) -> list[str]:
        out = []
        for t in self.by_type:
            info = self.type_info.get(t)
            if sel.types and t not in sel.types:
                continue
            if sel.categories and (info is None or info.category not in sel.categories):
                continue
            if sel.trusted is not None and (info is None or info.trusted != sel.trusted):
                continue
            out.append(t)
        return out

    def _matches_config(self, cfg: dict[str, Any], sel: Selector) -> bool:
        for name, allowed in sel.where.items():
            if not value_in(cfg.get(name), allowed):
                return False
        for name, banned in sel.where_not.items():
            value = cfg.get(name)
            if value is not None and value_in(value, banned):
                return False
        if not all(is_set(cfg.get(name)) for name in sel.present):
            return False
        return not any(is_set(cfg.get(name)) for name in sel.missing)

    def select(self, selectors: Sequence[Selector]) -> list[int]:
        """Indices (document order) of the steps matching any of the selectors."""
        key = json.dumps([s.model_dump(mode="json") for s in selectors], sort_keys=True)
        found = self._select.get(key)
        if found is None:
            hits: set[int] = set()
            for sel in selectors:
                filtered = bool(sel.where or sel.where_not or sel.present or sel.missing)
                for t in self._candidate_types(sel):
                    for i in self.by_type[t]:
                        if not filtered or self._matches_config(self.configs[i], sel):
                            hits.add(i)
            found = sorted(hits)
            self._select[key] = found
        return found

    def mask(self, selectors: Sequence[Selector]) -> list[bool]:
        """A per-step flag: does the step match any of the selectors?"""
        key = json.dumps([s.model_dump(mode="json") for s in selectors], sort_keys=True)
        found = self._mask.get(key)
        if found is None:
            found = [False] * self.n
            for i in self.select(selectors):
                found[i] = True
            self._mask[key] = found
        return found

    # -- relations ------------------------------------------------------------------------------
    def attached(self, candidates: Sequence[int], to: Sequence[Selector]) -> list[bool]:
        """For each candidate: is it attached to a ``to`` step, that is, joined to one by edges
        (either way) whose intermediate steps are all control steps?"""
        to_mask = self.mask(to)
        cluster = self.cluster()
        ctrl = self.is_control
        inside, touching = self._cluster_contacts(to)

        def cluster_reaches(root: int, me: int) -> bool:
            own = 1 if ctrl[me] and cluster[me] == root and to_mask[me] else 0
            if inside.get(root, 0) - own > 0:
                return True
            return any(t != me for t in touching.get(root, ()))

        nbrs = self.neighbours()
        out = []
        for i in candidates:
            if ctrl[i]:
                out.append(cluster_reaches(cluster[i], i))
                continue
            ok = False
            for j in nbrs[i]:
                if to_mask[j] or (ctrl[j] and cluster_reaches(cluster[j], i)):
                    ok = True
                    break
            out.append(ok)
        return out

    def _cluster_contacts(self, to: Sequence[Selector]) -> tuple[dict[int, int], dict[int, list[int]]]:
        """Per control cluster: how many of its steps match ``to``, and up to two matching
        non-control steps next to it (two are enough to find one that is not the asker)."""
        key = json.dumps([s.model_dump(mode="json") for s in to], sort_keys=True)
        found = self._contacts.get(key)
        if found is None:
            cluster, ctrl, nbrs = self.cluster(), self.is_control, self.neighbours()
            inside: dict[int, int] = {}
            touching: dict[int, list[int]] = {}
            for j in self.select(to):
                if ctrl[j]:
                    inside[cluster[j]] = inside.get(cluster[j], 0) + 1
                    continue
                for c in nbrs[j]:
                    if ctrl[c]:
                        near = touching.setdefault(cluster[c], [])
                        if j not in near and len(near) < 2:
                            near.append(j)
            found = (inside, touching)
            self._contacts[key] = found
        return found

    def coreachable(self, targets: Sequence[int], kinds: Iterable[str]) -> list[bool]:
        """Steps from which a target can be reached by at least one edge of the kinds (cached)."""
        key = (tuple(targets), frozenset(kinds))
        found = self._coreach.get(key)
        if found is None:
            pred = self.pred(key[1])
            found = [False] * self.n
            queue = list(targets)
            for u in queue:
                for v in pred[u]:
                    if not found[v]:
                        found[v] = True
                        queue.append(v)
            self._coreach[key] = found
        return found

    def reachable(self, sources: Sequence[int], kinds: Iterable[str]) -> list[bool]:
        """Steps reachable from the sources by at least one edge of the given kinds (cached)."""
        key = (tuple(sources), frozenset(kinds))
        found = self._reach.get(key)
        if found is None:
            succ = self.succ(key[1])
            found = [False] * self.n
            queue = list(sources)
            for u in queue:
                for v in succ[u]:
                    if not found[v]:
                        found[v] = True
                        queue.append(v)
            self._reach[key] = found
        return found
