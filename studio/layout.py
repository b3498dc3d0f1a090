"""Automatic layout of a workflow graph (left to right), for imports without positions, the
editor's "auto-layout" on the server side and server-rendered diagrams.

A Sugiyama-lite layout: longest-path layering over ``data`` edges, a few barycentre sweeps to
reduce crossings, then fixed spacing. It runs in O(V + E·passes) plus a sort per layer, so a
5,000-step graph lays out in a fraction of a second. Pure Python (no Django).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence

from studio.format import Position, WorkflowDocument

SPACING_X = 260.0
SPACING_Y = 120.0
MARGIN = 40.0
SWEEPS = 4


def compute_layout(
    node_ids: Sequence[str],
    edges: Iterable[tuple[str, str]],
    *,
    spacing_x: float = SPACING_X,
    spacing_y: float = SPACING_Y,
    sweeps: int = SWEEPS,
) -> dict[str, tuple[float, float]]:
    """Positions (x, y) for ``node_ids`` given directed ``edges`` (source, target).

    Edges to unknown nodes and self-loops are ignored; should the edges hold a cycle, the nodes on
    it are still placed (after the acyclic part), never dropped. Every node gets a distinct spot.
    """
    index = {nid: i for i, nid in enumerate(node_ids)}
    preds: list[list[int]] = [[] for _ in node_ids]
    succs: list[list[int]] = [[] for _ in node_ids]
    seen: set[tuple[int, int]] = set()
    for src, dst in edges:
        a, b = index.get(src), index.get(dst)
        if a is None or b is None or a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        succs[a].append(b)
        preds[b].append(a)

    layer = _longest_path_layers(len(node_ids), preds, succs)
    layers: dict[int, list[int]] = defaultdict(list)
    for v in range(len(node_ids)):
        layers[layer[v]].append(v)
    ordered = [layers[k] for k in sorted(layers)]
    _barycentre_sweeps(ordered, preds, succs, sweeps)

    tallest = max((len(col) for col in ordered), default=0)
    positions: dict[str, tuple[float, float]] = {}
    for col_no, col in enumerate(ordered):
        # Centre shorter columns against the tallest one; offsets are whole slots so spots stay distinct.
        offset = (tallest - len(col)) // 2
        for row_no, v in enumerate(col):
            positions[node_ids[v]] = (MARGIN + col_no * spacing_x, MARGIN + (row_no + offset) * spacing_y)
    return positions


def _longest_path_layers(n: int, preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    indegree = [len(p) for p in preds]
    layer = [0] * n
    queue = deque(v for v in range(n) if indegree[v] == 0)
    done = [False] * n
    while queue:
        v = queue.popleft()
        done[v] = True
        for w in succs[v]:
            if layer[v] + 1 > layer[w]:
                layer[w] = layer[v] + 1
            indegree[w] -= 1
            if indegree[w] == 0:
                queue.append(w)
    # Nodes on a cycle never reach indegree 0: place them after their already placed predecessors.
    for v in range(n):
        if not done[v]:
            done[v] = True
            layer[v] = max((layer[u] + 1 for u in preds[v] if done[u] and u != v), default=layer[v])
    return layer


def _barycentre_sweeps(
    ordered: list[list[int]], preds: list[list[int]], succs: list[list[int]], sweeps: int
) -> None:
    rank: dict[int, int] = {}
    for col in ordered:
        for i, v in enumerate(col):
            rank[v] = i

    def reorder(col: list[int], neighbours: list[list[int]]) -> None:
        def key(v: int) -> float:
            ns = neighbours[v]
            return sum(rank[u] for u in ns) / len(ns) if ns else float(rank[v])

        col.sort(key=key)
        for i, v in enumerate(col):
            rank[v] = i

    for sweep in range(sweeps):
        if sweep % 2 == 0:
            for col in ordered[1:]:
                reorder(col, preds)
        else:
            for col in reversed(ordered[:-1]):
                reorder(col, succs)


def auto_layout(doc: WorkflowDocument, *, keep_existing: bool = False) -> WorkflowDocument:
    """Return a copy of ``doc`` with positions from :func:`compute_layout` over its data edges.

    With ``keep_existing`` only steps without a position are placed (laid out among themselves,
    below the steps that already have one); otherwise every step is moved.
    """
    placed = [n for n in doc.nodes if keep_existing and n.position is not None]
    todo_ids = [n.id for n in doc.nodes if not (keep_existing and n.position is not None)]
    if not todo_ids:
        return doc
    data_edges = [(e.from_, e.to) for e in doc.edges if e.kind == "data"]
    positions = compute_layout(todo_ids, data_edges)
    dy = 0.0
    if placed:
        dy = max(n.position.y for n in placed if n.position is not None) + 2 * SPACING_Y
    nodes = []
    for node in doc.nodes:
        if node.id in positions:
            x, y = positions[node.id]
            node = node.model_copy(update={"position": Position(x=x, y=y + dy)})
        nodes.append(node)
    return doc.model_copy(update={"nodes": nodes})
