"""Shared pieces of the importers: safe ids, clipped text, config cleaning against the catalogue,
and a graph builder that turns collected steps into a validated document."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lib import safejson
from lib.errors import DomainError, ErrorItem
from studio.catalogue import load_catalogue
from studio.format import MAX_DOCUMENT_BYTES, MAX_EDGES, MAX_NODES, WorkflowDocument, parse_document
from studio.layout import auto_layout

ID_MAX = 64
LABEL_MAX = 200
NAME_MAX = 200
DESCRIPTION_MAX = 5000
EDGE_LABEL_MAX = 200
STRING_MAX = 2000
TEXT_MAX = 20_000
LIST_MAX = 200
_BAD_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:\-]+")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(value: Any) -> str:
    """A user-facing string from any JSON scalar; labels are kept as plain text, never parsed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def as_number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def string_list(value: Any) -> list[str]:
    """A list of non-empty strings from a JSON list (or a comma-separated string)."""
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        return []
    out = [plain(v) for v in items if not isinstance(v, dict | list)]
    return [clip(v, STRING_MAX) for v in out if v][:LIST_MAX]


def load_json_bytes(content: bytes, what: str) -> Any:
    """Parse JSON bytes (UTF-8, optional BOM) or raise a DomainError naming ``what``."""
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DomainError(
            f"{what} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
            [ErrorItem("", "too large")],
            status=413,
            code="too_large",
        )
    try:
        text = content.decode("utf-8-sig")
        return safejson.loads(text)
    except UnicodeDecodeError:
        raise DomainError(f"{what} is not UTF-8 text.", [ErrorItem("", "not UTF-8 text")]) from None
    except safejson.JSONTooDeep as exc:
        raise DomainError(f"{what} is not accepted: {exc}.", [ErrorItem("", str(exc))]) from None
    except ValueError as exc:
        raise DomainError(
            f"{what} is not valid JSON: {exc}", [ErrorItem("", f"not valid JSON: {exc}")]
        ) from None


class IdAllocator:
    """Turns arbitrary source ids/names into unique ids matching ``^[A-Za-z0-9_.:\\-]{1,64}$``."""

    def __init__(self, fallback: str = "node") -> None:
        self.fallback = fallback
        self.taken: set[str] = set()

    def allocate(self, raw: Any) -> str:
        base = _BAD_ID_CHARS.sub("_", plain(raw)).strip("_") or self.fallback
        base = base[:ID_MAX]
        candidate = base
        n = 1
        while candidate in self.taken:
            n += 1
            suffix = f"_{n}"
            candidate = base[: ID_MAX - len(suffix)] + suffix
        self.taken.add(candidate)
        return candidate


def clean_config(node_type: str, config: dict[str, Any], where: str, unmapped: list[str]) -> dict[str, Any]:
    """Keep the config values the catalogue accepts for ``node_type``; clip over-long text and
    report (in ``unmapped``) any value that does not fit the field."""
    nt = load_catalogue().get(node_type)
    if nt is None:  # pragma: no cover - importers only emit catalogue types
        raise ValueError(f"unknown node type {node_type}")
    out: dict[str, Any] = {}
    for key, value in config.items():
        if value is None or value == "" or value == []:
            continue
        f = nt.field(key)
        if f is None:  # pragma: no cover - importers only emit catalogue fields
            raise ValueError(f"{node_type} has no field {key}")
        if f.type in ("string", "text", "enum"):
            value = clip(plain(value), TEXT_MAX if f.type == "text" else STRING_MAX)
            if f.type == "enum" and value not in f.options:
                unmapped.append(
                    f"{where}: {key} value {value!r} is not one of {', '.join(f.options)}; left out"
                )
                continue
        elif f.type == "boolean":
            if not isinstance(value, bool):
                unmapped.append(f"{where}: {key} value {plain(value)!r} is not true/false; left out")
                continue
        elif f.type in ("integer", "number"):
            number = as_number(value)
            if (
                number is None
                or (f.min is not None and number < f.min)
                or (f.max is not None and number > f.max)
            ):
                unmapped.append(f"{where}: {key} value {plain(value)!r} is not a number in range; left out")
                continue
            value = round(number) if f.type == "integer" else (int(number) if number.is_integer() else number)
        elif f.type == "string_list":
            value = string_list(value)
            if not value:
                continue
        out[key] = value
    return out


@dataclass
class GraphBuilder:
    """Collects converted steps and edges, then validates them as one document.

    ``mapped`` and ``unmapped`` gather the lines shown to the user after an import.
    """

    mapped: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    node_ids: IdAllocator = field(default_factory=lambda: IdAllocator("node"))
    edge_ids: IdAllocator = field(default_factory=lambda: IdAllocator("edge"))
    # Describes each node for messages: our id → "skill 'Draft reply'".
    described: dict[str, str] = field(default_factory=dict)

    def add_node(
        self,
        *,
        raw_id: Any,
        node_type: str,
        label: Any,
        config: dict[str, Any],
        position: tuple[float, float] | None,
        describe: str,
        fallback_label: str,
    ) -> str:
        """Add a step; returns its (sanitised, unique) id."""
        node_id = self.node_ids.allocate(raw_id)
        text = plain(label) or fallback_label
        if len(text) > LABEL_MAX:
            self.unmapped.append(f"{describe}: label cut to {LABEL_MAX} characters")
            text = clip(text, LABEL_MAX)
        node: dict[str, Any] = {
            "id": node_id,
            "type": node_type,
            "label": text,
            "config": clean_config(node_type, config, describe, self.unmapped),
        }
        if position is not None:
            node["position"] = {"x": position[0], "y": position[1]}
        self.nodes.append(node)
        self.described[node_id] = describe
        return node_id

    def add_edge(self, *, raw_id: Any, source: str, target: str, kind: str = "data", label: Any = "") -> str:
        edge_id = self.edge_ids.allocate(raw_id if plain(raw_id) else f"{source}-{target}")
        self.edges.append(
            {
                "id": edge_id,
                "from": source,
                "to": target,
                "kind": kind,
                "label": clip(plain(label), EDGE_LABEL_MAX),
            }
        )
        return edge_id

    def _drop_data_cycles(self) -> None:
        """Our format forbids cycles over data edges: drop the edges that close one (DFS back
        edges) and say so, rather than refuse the whole import."""
        succ: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(self.edges):
            if e["kind"] == "data":
                succ[e["from"]].append(i)
        colour: dict[str, int] = defaultdict(int)  # 0 white, 1 on stack, 2 done
        back: set[int] = set()
        for start in (n["id"] for n in self.nodes):
            if colour[start]:
                continue
            colour[start] = 1
            stack: list[tuple[str, int]] = [(start, 0)]
            while stack:
                node, idx = stack[-1]
                out = succ.get(node, [])
                if idx < len(out):
                    stack[-1] = (node, idx + 1)
                    edge_no = out[idx]
                    child = self.edges[edge_no]["to"]
                    if colour[child] == 1:
                        back.add(edge_no)
                    elif colour[child] == 0:
                        colour[child] = 1
                        stack.append((child, 0))
                else:
                    colour[node] = 2
                    stack.pop()
        if not back:
            return
        for edge_no in sorted(back):
            e = self.edges[edge_no]
            self.unmapped.append(
                f"edge {e['id']} ({self.described.get(e['from'], e['from'])} → {self.described.get(e['to'], e['to'])}): "
                "left out because it loops back and data edges may not form a cycle"
            )
        self.edges = [e for i, e in enumerate(self.edges) if i not in back]

    def build(self, *, name: str, description: str, facts: dict[str, Any]) -> WorkflowDocument:
        """Validate the collected graph; lay it out where the source had no positions."""
        if len(self.nodes) > MAX_NODES or len(self.edges) > MAX_EDGES:
            raise DomainError(
                f"Too large to import: {len(self.nodes)} steps and {len(self.edges)} edges "
                f"(limits {MAX_NODES} and {MAX_EDGES}).",
                [ErrorItem("nodes" if len(self.nodes) > MAX_NODES else "edges", "over the limit")],
                status=413,
                code="too_large",
            )
        self._drop_data_cycles()
        data = {
            "name": clip(plain(name), NAME_MAX) or "Imported workflow",
            "description": clip(description.strip(), DESCRIPTION_MAX),
            "facts": facts,
            "nodes": self.nodes,
            "edges": self.edges,
        }
        doc = parse_document(data)
        missing = sum(1 for n in doc.nodes if n.position is None)
        if missing == len(doc.nodes) and missing:
            doc = auto_layout(doc)
            self.mapped.append("positions: none in the source, laid out automatically")
        elif missing:
            doc = auto_layout(doc, keep_existing=True)
            self.mapped.append(f"positions: kept; {missing} step(s) without one laid out automatically")
        return doc
