"""PSF analysis rules as data: strict pydantic models for a rules file and its loader.

A rule says *where* it applies (workflow facts and the presence of some steps) and *what must
hold*: one condition built from a small set of graph primitives (see ``analysis/primitives.py``).
Rules refer to node types, categories and config fields of the node-type catalogue; the loader
checks every such reference so a typo fails loudly instead of silently matching nothing.

Pure Python (no Django).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from lib.canonical import content_hash
from lib.errors import DomainError, ErrorItem, pydantic_path
from psf.rubric import EvidenceType
from studio.catalogue import Catalogue, load_catalogue

RULES_DIR = Path(__file__).with_name("rules")
DEFAULT_RULES_PATH = RULES_DIR / "psf-v1.1.yaml"

Severity = Literal["critical", "high", "medium", "low"]
EdgeKind = Literal["data", "fallback", "escalation"]
Autonomy = Literal["L0", "L1", "L2", "L3", "L4"]
CategoryName = Literal["input", "processing", "control", "sink"]
Scalar = str | int | float | bool
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
ALL_EDGE_KINDS: tuple[EdgeKind, ...] = ("data", "fallback", "escalation")
AUTONOMY_LEVELS: tuple[str, ...] = ("L0", "L1", "L2", "L3", "L4")
RULE_ID = re.compile(r"^(?P<domain>[A-Z0-9]+-\d+)-R\d{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _as_list(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


class Selector(_Strict):
    """Which steps a rule talks about. A step matches when every part that is given matches.

    In a rules file a plain list of type names is shorthand for ``{types: [...]}``; ``where`` and
    ``where_not`` take one value or a list of values. For a list-valued config field (such as
    ``data_categories``) ``where`` matches when any element is among the values. ``present``
    and ``missing`` name config fields that must be set / must be unset.
    """

    types: list[str] = Field(default_factory=list)
    categories: list[CategoryName] = Field(default_factory=list)
    trusted: bool | None = None
    where: dict[str, list[Scalar]] = Field(default_factory=dict)
    where_not: dict[str, list[Scalar]] = Field(default_factory=dict)
    present: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"types": [data]}
        if isinstance(data, dict):
            data = dict(data)
            for key in ("where", "where_not"):
                if isinstance(data.get(key), dict):
                    data[key] = {k: _as_list(v) for k, v in data[key].items()}
        return data

    @model_validator(mode="after")
    def _narrow(self) -> Selector:
        if not (self.types or self.categories or self.trusted is not None):
            raise ValueError("a selector needs types, categories or trusted")
        return self


def _selectors(data: Any) -> Any:
    """``[a, b]`` of type names is one selector; a mapping is one selector; else a list of them."""
    if isinstance(data, str | dict):
        return [data]
    if isinstance(data, list) and data and all(isinstance(x, str) for x in data):
        return [{"types": data}]
    return data


Selectors = list[Selector]
SELECTOR_FIELDS = frozenset(
    {
        "sources",
        "targets",
        "via",
        "nodes",
        "connected_to",
        "reachable_from",
        "to",
        "or_anywhere",
        "or_adjacent",
        "routers",
    }
)


class _Condition(_Strict):
    @model_validator(mode="before")
    @classmethod
    def _selector_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for name in SELECTOR_FIELDS & data.keys():
                data[name] = _selectors(data[name])
        return data


class PathPasses(_Condition):
    """Every path from a ``sources`` step to a ``targets`` step passes a ``via`` step."""

    kind: Literal["path_passes"]
    sources: Selectors = Field(min_length=1)
    targets: Selectors = Field(min_length=1)
    via: Selectors = Field(min_length=1)
    edge_kinds: list[EdgeKind] = Field(default_factory=lambda: list(ALL_EDGE_KINDS), min_length=1)


class NodeHasConfig(_Condition):
    """Every (``quantifier: all``) or some (``any``) selected step has the config ``fields``
    passing ``check``; a step attached to an ``or_adjacent`` step passes too."""

    kind: Literal["node_has_config"]
    nodes: Selectors = Field(min_length=1)
    fields: list[str] = Field(min_length=1)
    check: Literal["present", "equals", "at_least", "at_most", "one_of", "contains_all"] = "present"
    value: Scalar | list[Scalar] | None = None
    quantifier: Literal["all", "any"] = "all"
    if_none: Literal["not_applicable", "missing"] = "not_applicable"
    or_adjacent: Selectors = Field(default_factory=list)

    @model_validator(mode="after")
    def _value_fits_check(self) -> NodeHasConfig:
        v = self.value
        if self.check == "present" and v is not None:
            raise ValueError("check 'present' takes no value")
        if self.check == "equals" and (v is None or isinstance(v, list)):
            raise ValueError("check 'equals' needs one value")
        if self.check in ("at_least", "at_most") and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise ValueError(f"check '{self.check}' needs a number")
        if self.check in ("one_of", "contains_all") and not (isinstance(v, list) and v):
            raise ValueError(f"check '{self.check}' needs a non-empty list")
        return self


class Exists(_Condition):
    """The workflow has a selected step, attached to a ``connected_to`` step and reachable from a
    ``reachable_from`` step when those are given (present but unconnected is partial)."""

    kind: Literal["exists"]
    nodes: Selectors = Field(min_length=1)
    connected_to: Selectors = Field(default_factory=list)
    reachable_from: Selectors = Field(default_factory=list)


class Attached(_Condition):
    """Every selected step is attached to a ``to`` step: an edge either way, directly or through
    other control steps. A matching ``or_anywhere`` step covers every step at once."""

    kind: Literal["attached"]
    nodes: Selectors = Field(min_length=1)
    to: Selectors = Field(min_length=1)
    or_anywhere: Selectors = Field(default_factory=list)


class FallbackToOtherVendor(_Condition):
    """Every selected step can fail over to a step of another vendor: an edge of ``edge_kinds``
    to such a step (directly or through control steps), or a ``routers`` step attached to it
    that has such an edge. Steps that are themselves fallback targets are not asked for one."""

    kind: Literal["fallback_to_other_vendor"]
    nodes: Selectors = Field(min_length=1)
    edge_kinds: list[EdgeKind] = Field(default_factory=lambda: list[EdgeKind](["fallback"]), min_length=1)
    routers: Selectors = Field(default_factory=list)


class HasEdge(_Condition):
    """Every (``all``) or some (``any``) selected step has an edge of ``edge_kinds`` to a ``to`` step."""

    kind: Literal["has_edge"]
    nodes: Selectors = Field(min_length=1)
    edge_kinds: list[EdgeKind] = Field(min_length=1)
    to: Selectors = Field(min_length=1)
    quantifier: Literal["all", "any"] = "all"
    if_none: Literal["not_applicable", "missing"] = "not_applicable"


class ForbiddenValue(_Condition):
    """No selected step has ``field`` set to one of ``values`` (for a list field: contains one)."""

    kind: Literal["forbidden_value"]
    nodes: Selectors = Field(min_length=1)
    field: str
    values: list[Scalar] = Field(min_length=1)


class NeedsEvidence(_Condition):
    """A criterion a workflow map cannot show: always reported as needing evidence."""

    kind: Literal["needs_evidence"]
    evidence: list[EvidenceType] = Field(min_length=1)


Condition = Annotated[
    PathPasses
    | NodeHasConfig
    | Exists
    | Attached
    | FallbackToOtherVendor
    | HasEdge
    | ForbiddenValue
    | NeedsEvidence,
    Field(discriminator="kind"),
]


class AppliesWhen(_Strict):
    """When a rule applies. Every given part must hold; ``all_of`` needs all of its entries,
    ``any_of`` one of them."""

    personal_data: bool | None = None
    stakes: Literal["low", "high"] | None = None
    audience: Literal["internal", "external"] | None = None
    regulated: bool | None = None
    has_nodes: Selectors = Field(default_factory=list)
    min_count: int = Field(default=1, ge=1)
    autonomy_at_least: Autonomy | None = None
    all_of: list[AppliesWhen] = Field(default_factory=list)
    any_of: list[AppliesWhen] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _selector_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "has_nodes" in data:
            data = {**data, "has_nodes": _selectors(data["has_nodes"])}
        return data


class Rule(_Strict):
    id: Annotated[str, StringConstraints(pattern=RULE_ID.pattern)]
    domain: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+-\d+$")]
    criterion: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+-\d+\.\d+$")]
    severity: Severity
    title: NonEmpty
    applies_when: AppliesWhen = Field(default_factory=AppliesWhen)
    condition: Condition
    expected: str = ""
    message: NonEmpty
    remediation: NonEmpty
    guideline: NonEmpty

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        match = RULE_ID.match(self.id)
        if match and match["domain"] != self.domain:
            raise ValueError(f"rule {self.id} is numbered in {match['domain']} but says domain {self.domain}")
        if not self.criterion.startswith(self.domain + "."):
            raise ValueError(f"criterion {self.criterion} does not belong to domain {self.domain}")
        want = guideline_for(self.criterion)
        if self.guideline != want:
            raise ValueError(f"guideline must be {want}")
        return self


class RuleSet(_Strict):
    """One rules file: the rules for one rubric version."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    schema_: Literal["workflowos.rules/v1"] = Field(alias="schema")
    framework: NonEmpty
    version: NonEmpty
    revision: int = Field(ge=1)
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RuleSet:
        seen: set[str] = set()
        for r in self.rules:
            if r.id in seen:
                raise ValueError(f"duplicate rule id {r.id}")
            seen.add(r.id)
        return self

    @property
    def key(self) -> str:
        return f"{self.framework} v{self.version} rules r{self.revision}"

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def content_hash(self) -> str:
        return content_hash(self.to_data())

    def for_criterion(self, code: str) -> list[Rule]:
        return [r for r in self.rules if r.criterion == code]


def guideline_for(criterion: str) -> str:
    """The public page of a criterion: ``PSF-2.3`` → ``/psf/PSF-2/#PSF-2.3``."""
    domain = criterion.rsplit(".", 1)[0]
    return f"/psf/{domain}/#{criterion}"


# --- references to the catalogue --------------------------------------------------------------


def _selector_errors(sel: Selector, path: str, cat: Catalogue) -> list[ErrorItem]:
    errors: list[ErrorItem] = []
    for i, t in enumerate(sel.types):
        if cat.get(t) is None:
            errors.append(ErrorItem(f"{path}.types[{i}]", f"unknown node type {t!r}"))
    candidates = [nt for nt in cat.types if not sel.types or nt.type in sel.types]
    fields = [*sel.where, *sel.where_not, *sel.present, *sel.missing]
    for name in fields:
        if candidates and not any(nt.field(name) for nt in candidates):
            errors.append(ErrorItem(path, f"no selected node type has a config field {name!r}"))
    return errors


def _reference_errors(rules: RuleSet, cat: Catalogue) -> list[ErrorItem]:
    errors: list[ErrorItem] = []

    def walk_applies(aw: AppliesWhen, path: str) -> None:
        for j, sel in enumerate(aw.has_nodes):
            errors.extend(_selector_errors(sel, f"{path}.has_nodes[{j}]", cat))
        for j, sub in enumerate(aw.all_of):
            walk_applies(sub, f"{path}.all_of[{j}]")
        for j, sub in enumerate(aw.any_of):
            walk_applies(sub, f"{path}.any_of[{j}]")

    for i, rule in enumerate(rules.rules):
        base = f"rules[{i}]"
        walk_applies(rule.applies_when, f"{base}.applies_when")
        cond = rule.condition
        for name in type(cond).model_fields:
            value = getattr(cond, name)
            if isinstance(value, list) and value and isinstance(value[0], Selector):
                for j, sel in enumerate(value):
                    errors.extend(_selector_errors(sel, f"{base}.condition.{name}[{j}]", cat))
        if isinstance(cond, NodeHasConfig | ForbiddenValue):
            field_names = cond.fields if isinstance(cond, NodeHasConfig) else [cond.field]
            types = {t for sel in cond.nodes for t in sel.types} or {nt.type for nt in cat.types}
            for name in field_names:
                missing = sorted(
                    t for t in types if (nt := cat.get(t)) is not None and nt.field(name) is None
                )
                if missing:
                    errors.append(
                        ErrorItem(f"{base}.condition", f"node type {missing[0]} has no config field {name!r}")
                    )
    return errors


def parse_rules(data: Any, catalogue: Catalogue | None = None) -> RuleSet:
    """Validate parsed rules data against the models and the node-type catalogue.

    Raises :class:`DomainError` with one item per problem, each with its path in the file.
    """
    if not isinstance(data, dict):
        raise DomainError(
            "A rules file must hold a mapping at the top level.", [ErrorItem("", "expected a mapping")]
        )
    try:
        rules = RuleSet.model_validate(data)
    except ValidationError as exc:
        items = [
            ErrorItem(pydantic_path(tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise DomainError("The rules file is not valid.", items[:200]) from None
    errors = _reference_errors(rules, catalogue or load_catalogue())
    if errors:
        raise DomainError("The rules file is not valid.", errors[:200])
    return rules


def load_rules_file(path: Path | str) -> RuleSet:
    """Load and validate a rules file (YAML or JSON)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainError(f"Cannot read {p}: {exc}", [ErrorItem("", f"cannot read file: {exc}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DomainError(
            "The rules file is not valid YAML.",
            [ErrorItem("", f"not valid YAML/JSON: {exc}".replace("\n", " "))],
        ) from None
    # Round-trip through JSON so the strict models see plain lists, strings and numbers only.
    try:
        data = json.loads(json.dumps(data))
    except (TypeError, ValueError) as exc:
        raise DomainError(
            "The rules file is not valid.", [ErrorItem("", f"not plain YAML/JSON data: {exc}")]
        ) from None
    return parse_rules(data)


@cache
def default_rules() -> RuleSet:
    """The bundled PSF v1.1 rules, parsed once per process."""
    return load_rules_file(DEFAULT_RULES_PATH)
