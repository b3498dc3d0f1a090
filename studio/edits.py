"""Small, pure edits of a workflow document used by the accessible form view. Each returns a new
validated document (so an edit that would create, say, a data cycle is refused)."""

from __future__ import annotations

import re
from typing import Any

from lib.errors import DomainError, ErrorItem
from studio.format import Facts, WorkflowDocument, parse_document


def _revalidate(data: dict[str, Any]) -> WorkflowDocument:
    return parse_document(data)


def _free_id(doc: WorkflowDocument, base: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.:\-]", "_", base)[:50] or "step"
    taken = {n.id for n in doc.nodes}
    if base not in taken:
        return base
    i = 2
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"


def add_node(
    doc: WorkflowDocument, *, type_: str, label: str, node_id: str | None = None
) -> tuple[WorkflowDocument, str]:
    data = doc.to_data()
    nid = node_id or _free_id(doc, type_)
    if any(n.id == nid for n in doc.nodes):
        raise DomainError(f"A step with id {nid!r} already exists.", [ErrorItem("node_id", "already taken")])
    last_x = max((n.position.x for n in doc.nodes if n.position), default=-220.0)
    data["nodes"].append(
        {"id": nid, "type": type_, "label": label, "config": {}, "position": {"x": last_x + 220.0, "y": 80.0}}
    )
    return _revalidate(data), nid


def update_node(
    doc: WorkflowDocument, *, node_id: str, label: str, config: dict[str, Any]
) -> WorkflowDocument:
    data = doc.to_data()
    for n in data["nodes"]:
        if n["id"] == node_id:
            n["label"], n["config"] = label, config
            return _revalidate(data)
    raise DomainError(f"There is no step {node_id!r}.", status=404, code="not_found")


def delete_node(doc: WorkflowDocument, *, node_id: str) -> WorkflowDocument:
    data = doc.to_data()
    before = len(data["nodes"])
    data["nodes"] = [n for n in data["nodes"] if n["id"] != node_id]
    if len(data["nodes"]) == before:
        raise DomainError(f"There is no step {node_id!r}.", status=404, code="not_found")
    data["edges"] = [e for e in data["edges"] if node_id not in (e["from"], e["to"])]
    return _revalidate(data)


def add_edge(
    doc: WorkflowDocument, *, source: str, target: str, kind: str, label: str = ""
) -> WorkflowDocument:
    data = doc.to_data()
    if any(e.from_ == source and e.to == target and e.kind == kind for e in doc.edges):
        raise DomainError(
            "These steps are already connected this way.", [ErrorItem("target", "duplicate connection")]
        )
    taken = {e.id for e in doc.edges}
    i = len(doc.edges) + 1
    while f"e{i}" in taken:
        i += 1
    data["edges"].append({"id": f"e{i}", "from": source, "to": target, "kind": kind, "label": label})
    return _revalidate(data)


def delete_edge(doc: WorkflowDocument, *, edge_id: str) -> WorkflowDocument:
    data = doc.to_data()
    before = len(data["edges"])
    data["edges"] = [e for e in data["edges"] if e.get("id") != edge_id]
    if len(data["edges"]) == before:
        raise DomainError(f"There is no connection {edge_id!r}.", status=404, code="not_found")
    return _revalidate(data)


def set_facts(doc: WorkflowDocument, *, name: str, description: str, facts: Facts) -> WorkflowDocument:
    data = doc.to_data()
    data.update({"name": name, "description": description, "facts": facts.model_dump()})
    return _revalidate(data)
