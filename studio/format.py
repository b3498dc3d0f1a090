"""The ``workflowos.workflow/v1`` document: pydantic models (the single source of the format),
semantic validation with JSON paths, and canonical form / content hash.

Pure Python (no Django): the web app, the API, the analysis engine, the simulator and the CLI
all validate through :func:`parse_document`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from lib import safejson
from lib.canonical import canonical_json, sha256_hex
from lib.errors import DomainError, ErrorItem, pydantic_path
from studio.catalogue import ConfigField, load_catalogue

FORMAT_ID = "workflowos.workflow/v1"
MAX_NODES = 5_000
MAX_EDGES = 20_000
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
EDGE_KINDS = ("data", "fallback", "escalation")

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
ConfigValue = str | int | float | bool | list[str] | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Position(_Strict):
    x: float
    y: float


class Node(_Strict):
    """One step of the workflow."""

    id: Identifier
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    config: dict[str, ConfigValue] = Field(default_factory=dict)
    position: Position | None = None


class Edge(_Strict):
    """A directed connection. ``data`` edges carry the request; ``fallback`` edges are taken when
    the source fails; ``escalation`` edges hand the case to a person or a stronger control."""

    id: Identifier | None = None
    from_: Identifier = Field(alias="from")
    to: Identifier
    kind: Literal["data", "fallback", "escalation"] = "data"
    label: ShortText = ""


class Facts(_Strict):
    """Workflow-level facts that decide which PSF rules apply."""

    personal_data: bool = False
    stakes: Literal["low", "high"] = "low"
    audience: Literal["internal", "external"] = "internal"
    regulated: bool = False


class WorkflowDocument(_Strict):
    """A ``workflowos.workflow/v1`` document."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=True,
        json_schema_extra={
            "$id": "https://workflowos.example/api/schemas/workflow-v1.json",
            "title": "workflowos.workflow/v1",
        },
    )

    format: Literal["workflowos.workflow/v1"] = "workflowos.workflow/v1"
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    facts: Facts = Field(default_factory=Facts)
    nodes: list[Node] = Field(default_factory=list, max_length=MAX_NODES)
    edges: list[Edge] = Field(default_factory=list, max_length=MAX_EDGES)

    # -- helpers used by engines ------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def canonical(self) -> str:
        return canonical_json(canonical_data(self))

    def content_hash(self) -> str:
        return sha256_hex(self.canonical())


def canonical_data(doc: WorkflowDocument) -> dict[str, Any]:
    """The document in canonical order: nodes sorted by id, edges by id, config keys sorted.
    Two documents that differ only in list order have the same hash."""
    data = doc.to_data()
    data["nodes"] = sorted(data["nodes"], key=lambda n: n["id"])
    data["edges"] = sorted(data["edges"], key=lambda e: e["id"])
    return data


def json_schema() -> dict[str, Any]:
    """The JSON Schema published at ``/api/schemas/workflow-v1.json``, generated from the models
    and completed with the node-type catalogue (the allowed ``type`` values)."""
    schema = WorkflowDocument.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    node = schema["$defs"]["Node"]
    node["properties"]["type"]["enum"] = load_catalogue().names()
    return schema


# --- validation ---------------------------------------------------------------------------------


def _check_config_value(field: ConfigField, value: Any) -> str | None:
    if value is None:
        return None
    t = field.type
    if t in ("string", "text", "enum"):
        if not isinstance(value, str):
            return f"expected a string, got {type(value).__name__}"
        limit = 20_000 if t == "text" else 2_000
        if len(value) > limit:
            return f"at most {limit} characters"
        if t == "enum" and value not in field.options:
            return f"expected one of {', '.join(field.options)}, got {value!r}"
        return None
    if t == "boolean":
        return None if isinstance(value, bool) else f"expected true or false, got {type(value).__name__}"
    if t in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {type(value).__name__}"
        if t == "integer" and not (isinstance(value, int) or float(value).is_integer()):
            return "expected a whole number"
        if field.min is not None and value < field.min:
            return f"must be ≥ {field.min:g}"
        if field.max is not None and value > field.max:
            return f"must be ≤ {field.max:g}"
        return None
    if t == "string_list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of strings"
        if len(value) > 200:
            return "at most 200 items"
        return None
    return f"unsupported field type {t}"  # pragma: no cover - catalogue is validated


def _semantic_errors(doc: WorkflowDocument) -> list[ErrorItem]:
    cat = load_catalogue()
    errors: list[ErrorItem] = []
    first_seen: dict[str, int] = {}
    for i, node in enumerate(doc.nodes):
        if node.id in first_seen:
            errors.append(
                ErrorItem(
                    f"nodes[{i}].id", f"duplicate id {node.id!r} (first at nodes[{first_seen[node.id]}])"
                )
            )
        else:
            first_seen[node.id] = i
        nt = cat.get(node.type)
        if nt is None:
            errors.append(ErrorItem(f"nodes[{i}].type", f"unknown node type {node.type!r}"))
            continue
        for key, value in node.config.items():
            f = nt.field(key)
            if f is None:
                errors.append(ErrorItem(f"nodes[{i}].config.{key}", f"unknown field for a {node.type} step"))
                continue
            problem = _check_config_value(f, value)
            if problem:
                errors.append(ErrorItem(f"nodes[{i}].config.{key}", problem))
    edge_ids: dict[str, int] = {}
    for j, edge in enumerate(doc.edges):
        if edge.id is not None:
            if edge.id in edge_ids:
                errors.append(
                    ErrorItem(
                        f"edges[{j}].id", f"duplicate id {edge.id!r} (first at edges[{edge_ids[edge.id]}])"
                    )
                )
            else:
                edge_ids[edge.id] = j
        if edge.from_ not in first_seen:
            errors.append(ErrorItem(f"edges[{j}].from", f"no node with id {edge.from_!r}"))
        if edge.to not in first_seen:
            errors.append(ErrorItem(f"edges[{j}].to", f"no node with id {edge.to!r}"))
        if edge.from_ == edge.to:
            errors.append(ErrorItem(f"edges[{j}]", "an edge cannot connect a step to itself"))
    if not errors:
        cycle = find_data_cycle(doc)
        if cycle:
            errors.append(
                ErrorItem(
                    "edges",
                    "data edges form a cycle: "
                    + " → ".join(cycle)
                    + " (only fallback and escalation edges may loop back)",
                )
            )
    return errors


def find_data_cycle(doc: WorkflowDocument) -> list[str] | None:
    """Return one cycle over ``data`` edges (as node ids, first repeated at the end) or None."""
    succ: dict[str, list[str]] = defaultdict(list)
    for e in doc.edges:
        if e.kind == "data":
            succ[e.from_].append(e.to)
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = defaultdict(int)
    for start in (n.id for n in doc.nodes):
        if colour[start] != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        colour[start] = grey
        while stack:
            node, idx = stack[-1]
            children = succ.get(node, [])
            if idx < len(children):
                stack[-1] = (node, idx + 1)
                child = children[idx]
                if colour[child] == grey:
                    return [*path[path.index(child) :], child]
                if colour[child] == white:
                    colour[child] = grey
                    stack.append((child, 0))
                    path.append(child)
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return None


def _assign_edge_ids(doc: WorkflowDocument) -> WorkflowDocument:
    taken = {e.id for e in doc.edges if e.id}
    counter = 0
    changed = False
    new_edges = []
    for e in doc.edges:
        if e.id is None:
            counter += 1
            while f"e{counter}" in taken:
                counter += 1
            taken.add(f"e{counter}")
            e = e.model_copy(update={"id": f"e{counter}"})
            changed = True
        new_edges.append(e)
    return doc.model_copy(update={"edges": new_edges}) if changed else doc


def parse_document(data: Any) -> WorkflowDocument:
    """Validate a workflow document (a parsed JSON value) and return it normalised.

    Raises :class:`DomainError` with one :class:`ErrorItem` per problem, each naming its JSON path:
    schema errors, unknown node types and config fields, duplicate ids, dangling edges and
    cycles over data edges.
    """
    if not isinstance(data, dict):
        raise DomainError(
            "A workflow document must be a JSON object.", [ErrorItem("", "expected a JSON object")]
        )
    if isinstance(data.get("nodes"), list) and len(data["nodes"]) > MAX_NODES:
        raise DomainError(
            f"Too many steps: {len(data['nodes'])} (limit {MAX_NODES}).",
            [ErrorItem("nodes", f"at most {MAX_NODES} nodes, got {len(data['nodes'])}")],
            status=413,
            code="too_large",
        )
    if isinstance(data.get("edges"), list) and len(data["edges"]) > MAX_EDGES:
        raise DomainError(
            f"Too many edges: {len(data['edges'])} (limit {MAX_EDGES}).",
            [ErrorItem("edges", f"at most {MAX_EDGES} edges, got {len(data['edges'])}")],
            status=413,
            code="too_large",
        )
    try:
        doc = WorkflowDocument.model_validate(data)
    except ValidationError as exc:
        items = [ErrorItem(pydantic_path(tuple(e["loc"])), e["msg"]) for e in exc.errors(include_url=False)]
        raise DomainError("The workflow document is not valid.", items[:200]) from None
    errors = _semantic_errors(doc)
    if errors:
        raise DomainError("The workflow document is not valid.", errors[:200])
    return _assign_edge_ids(doc)


def parse_json_text(text: str | bytes) -> WorkflowDocument:
    """Parse JSON text into a validated document; size and syntax errors become DomainErrors."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise DomainError(
            f"The document is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
            [ErrorItem("", "too large")],
            status=413,
            code="too_large",
        )
    try:
        data = safejson.loads(text)
    except safejson.JSONTooDeep as exc:
        raise DomainError(f"Not accepted: {exc}.", [ErrorItem("", str(exc))]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DomainError(f"Not valid JSON: {exc}", [ErrorItem("", f"not valid JSON: {exc}")]) from None
    return parse_document(data)
