"""The difference between two versions of a workflow: steps and edges added, removed and changed
(field by field, config keys included), facts, name and description. Pure Python (no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from studio.format import Edge, Node, WorkflowDocument


@dataclass(frozen=True)
class FieldChange:
    """One changed field: ``label``, ``type``, ``position``, ``config.model``, ``from``, ``kind``…"""

    field: str
    old: Any
    new: Any

    def to_data(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ItemChange:
    """A step or edge present in both versions with at least one changed field."""

    id: str
    label: str
    changes: list[FieldChange]

    @property
    def moved_only(self) -> bool:
        """True when only the position changed (a layout edit, not a change of meaning)."""
        return all(c.field == "position" for c in self.changes)

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "moved_only": self.moved_only,
            "changes": [c.to_data() for c in self.changes],
        }


@dataclass
class WorkflowDiff:
    """What changed from ``old`` to ``new``; lists are sorted by id so the result is stable."""

    name: FieldChange | None = None
    description: FieldChange | None = None
    facts: list[FieldChange] = field(default_factory=list)
    nodes_added: list[dict[str, Any]] = field(default_factory=list)
    nodes_removed: list[dict[str, Any]] = field(default_factory=list)
    nodes_changed: list[ItemChange] = field(default_factory=list)
    edges_added: list[dict[str, Any]] = field(default_factory=list)
    edges_removed: list[dict[str, Any]] = field(default_factory=list)
    edges_changed: list[ItemChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.name
            or self.description
            or self.facts
            or self.nodes_added
            or self.nodes_removed
            or self.nodes_changed
            or self.edges_added
            or self.edges_removed
            or self.edges_changed
        )

    def summary(self) -> dict[str, int]:
        return {
            "nodes_added": len(self.nodes_added),
            "nodes_removed": len(self.nodes_removed),
            "nodes_changed": len(self.nodes_changed),
            "edges_added": len(self.edges_added),
            "edges_removed": len(self.edges_removed),
            "edges_changed": len(self.edges_changed),
            "facts_changed": len(self.facts),
        }

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name.to_data() if self.name else None,
            "description": self.description.to_data() if self.description else None,
            "facts": [c.to_data() for c in self.facts],
            "nodes": {
                "added": self.nodes_added,
                "removed": self.nodes_removed,
                "changed": [c.to_data() for c in self.nodes_changed],
            },
            "edges": {
                "added": self.edges_added,
                "removed": self.edges_removed,
                "changed": [c.to_data() for c in self.edges_changed],
            },
            "summary": self.summary(),
            "empty": self.is_empty,
        }


def _node_changes(old: Node, new: Node) -> list[FieldChange]:
    changes = []
    for attr in ("type", "label"):
        if getattr(old, attr) != getattr(new, attr):
            changes.append(FieldChange(attr, getattr(old, attr), getattr(new, attr)))
    for key in sorted(set(old.config) | set(new.config)):
        a, b = old.config.get(key), new.config.get(key)
        if a != b or (key in old.config) != (key in new.config):
            changes.append(FieldChange(f"config.{key}", a, b))
    pos_a = old.position.model_dump() if old.position else None
    pos_b = new.position.model_dump() if new.position else None
    if pos_a != pos_b:
        changes.append(FieldChange("position", pos_a, pos_b))
    return changes


def _edge_key(edge: Edge, index: int) -> str:
    # Parsed documents always have edge ids; a hand-built one may not.
    return edge.id or f"{edge.from_}->{edge.to}:{edge.kind}#{index}"


def _edge_data(edge: Edge) -> dict[str, Any]:
    return edge.model_dump(mode="json", by_alias=True, exclude_none=True)


def _edge_changes(old: Edge, new: Edge) -> list[FieldChange]:
    changes = []
    for attr, name in (("from_", "from"), ("to", "to"), ("kind", "kind"), ("label", "label")):
        if getattr(old, attr) != getattr(new, attr):
            changes.append(FieldChange(name, getattr(old, attr), getattr(new, attr)))
    return changes


def diff_documents(old: WorkflowDocument, new: WorkflowDocument) -> WorkflowDiff:
    """Compare two documents: steps matched by id, edges by id."""
    diff = WorkflowDiff()
    if old.name != new.name:
        diff.name = FieldChange("name", old.name, new.name)
    if old.description != new.description:
        diff.description = FieldChange("description", old.description, new.description)
    old_facts, new_facts = old.facts.model_dump(), new.facts.model_dump()
    diff.facts = [
        FieldChange(f"facts.{k}", old_facts[k], new_facts[k])
        for k in sorted(old_facts)
        if old_facts[k] != new_facts[k]
    ]

    old_nodes = {n.id: n for n in old.nodes}
    new_nodes = {n.id: n for n in new.nodes}
    for nid in sorted(new_nodes.keys() - old_nodes.keys()):
        diff.nodes_added.append(new_nodes[nid].model_dump(mode="json", exclude_none=True))
    for nid in sorted(old_nodes.keys() - new_nodes.keys()):
        diff.nodes_removed.append(old_nodes[nid].model_dump(mode="json", exclude_none=True))
    for nid in sorted(old_nodes.keys() & new_nodes.keys()):
        changes = _node_changes(old_nodes[nid], new_nodes[nid])
        if changes:
            diff.nodes_changed.append(ItemChange(nid, new_nodes[nid].label, changes))

    old_edges = {_edge_key(e, i): e for i, e in enumerate(old.edges)}
    new_edges = {_edge_key(e, i): e for i, e in enumerate(new.edges)}
    for eid in sorted(new_edges.keys() - old_edges.keys()):
        diff.edges_added.append(_edge_data(new_edges[eid]))
    for eid in sorted(old_edges.keys() - new_edges.keys()):
        diff.edges_removed.append(_edge_data(old_edges[eid]))
    for eid in sorted(old_edges.keys() & new_edges.keys()):
        changes = _edge_changes(old_edges[eid], new_edges[eid])
        if changes:
            e = new_edges[eid]
            diff.edges_changed.append(ItemChange(eid, f"{e.from_} → {e.to}", changes))
    return diff
