"""The node-type catalogue: which step types a workflow may contain and what each one takes.

Pure Python (no Django): used by the format validator, the analysis engine, the simulator,
the editor palette and the API. The catalogue itself is data (``studio/data/node_types.yaml``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

CATALOGUE_PATH = Path(__file__).with_name("data") / "node_types.yaml"

FieldType = Literal["string", "text", "integer", "number", "boolean", "enum", "string_list"]
Category = Literal["input", "processing", "control", "sink"]


class ConfigField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: FieldType
    label: str
    help: str = ""
    options: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None


class NodeType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    category: Category
    label: str
    domains: tuple[str, ...] = ()
    trusted: bool = True
    fields: tuple[ConfigField, ...] = ()

    def field(self, name: str) -> ConfigField | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    common_fields: tuple[ConfigField, ...]
    types: tuple[NodeType, ...] = Field(min_length=1)

    def get(self, type_name: str) -> NodeType | None:
        return _index(self).get(type_name)

    def names(self) -> list[str]:
        return [t.type for t in self.types]

    def of_category(self, category: Category) -> list[NodeType]:
        return [t for t in self.types if t.category == category]


def _flatten(items: Any) -> list[Any]:
    # YAML anchors let a type reuse a field set; a reused set arrives as a nested list.
    out: list[Any] = []
    for item in items or []:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


@cache
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """Load and validate the node-type catalogue (cached; it is read-only data)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    common = _flatten(raw["common_fields"])
    types = []
    for t in raw["types"]:
        own = _flatten(t.get("fields"))
        names = {f["name"] for f in own}
        merged = own + [f for f in common if f["name"] not in names]
        types.append({**t, "fields": merged})
    return Catalogue.model_validate({"version": str(raw["version"]), "common_fields": common, "types": types})


_INDEX: dict[int, dict[str, NodeType]] = {}


def _index(cat: Catalogue) -> dict[str, NodeType]:
    key = id(cat)
    if key not in _INDEX:
        _INDEX[key] = {t.type: t for t in cat.types}
    return _INDEX[key]


def node_type_category(type_name: str) -> str | None:
    nt = load_catalogue().get(type_name)
    return nt.category if nt else None
