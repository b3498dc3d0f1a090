"""The AI use-case inventory as data: its columns, what the workflow maps fill in, and CSV/JSON
rows checked one by one (import answers a per-row report of what was kept and what was refused).

Pure Python apart from the choice lists on the model.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import AISystem

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
LIST_FIELDS = ("vendors", "models_used", "data_categories")
# CSV/JSON column → model field. Lists are written "a; b; c" in CSV and as arrays in JSON.
COLUMNS: dict[str, str] = {
    "name": "name",
    "purpose": "purpose",
    "business_owner": "business_owner",
    "technical_owner": "technical_owner",
    "status": "status",
    "risk_tier": "risk_tier",
    "eu_ai_act_role": "eu_role",
    "eu_ai_act_risk_class": "eu_risk_class",
    "annex_iii_area": "annex_iii_area",
    "vendors": "vendors",
    "models": "models_used",
    "data_categories": "data_categories",
    "users_affected": "users_affected",
    "autonomy_level": "autonomy_level",
}
REQUIRED = ("name",)
CHOICES: dict[str, tuple[str, ...]] = {
    "status": tuple(k for k, _ in AISystem.STATUSES),
    "risk_tier": tuple(k for k, _ in AISystem.RISK_TIERS),
    "eu_role": tuple(k for k, _ in AISystem.EU_ROLES),
    "eu_risk_class": tuple(k for k, _ in AISystem.EU_RISK_CLASSES),
    "annex_iii_area": tuple(k for k, _ in AISystem.ANNEX_III),
    "autonomy_level": tuple(k for k, _ in AISystem.AUTONOMY),
}
MAX_LENGTHS = {
    "name": 200,
    "purpose": 4000,
    "business_owner": 200,
    "technical_owner": 200,
    "users_affected": 300,
}
AUTONOMY_ORDER = ("L0", "L1", "L2", "L3", "L4")
# Step types whose vendor and model are the AI system's own (not e.g. a PII redactor's vendor).
MODEL_STEP_TYPES = frozenset({"llm_call", "agent", "embedding", "classifier"})


class ImportError_(ValueError):
    """A file we refuse as a whole (not CSV/JSON, too large, no name column)."""


# -- what the maps say -------------------------------------------------------------------------


@dataclass
class MapFacts:
    vendors: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    data_categories: list[str] = field(default_factory=list)
    autonomy_level: str = ""


def _add(values: list[str], value: Any) -> None:
    if isinstance(value, str) and value.strip() and value.strip() not in values:
        values.append(value.strip()[:100])


def facts_from_documents(documents: Iterable[Mapping[str, Any]]) -> MapFacts:
    """Vendors, models, data categories and the highest autonomy level found in workflow maps."""
    facts = MapFacts()
    top = -1
    for doc in documents:
        for node in doc.get("nodes", []):
            config = node.get("config") or {}
            if node.get("type") in MODEL_STEP_TYPES:
                _add(facts.vendors, config.get("vendor"))
                _add(facts.models, config.get("model"))
            for category in config.get("data_categories") or []:
                _add(facts.data_categories, category)
            level = config.get("autonomy_level")
            if level in AUTONOMY_ORDER:
                top = max(top, AUTONOMY_ORDER.index(level))
    facts.vendors.sort(key=str.lower)
    facts.models.sort(key=str.lower)
    facts.data_categories.sort()
    facts.autonomy_level = AUTONOMY_ORDER[top] if top >= 0 else ""
    return facts


def merge_map_facts(system: AISystem, facts: MapFacts) -> list[str]:
    """Fill the system's lists and autonomy from its maps (union; autonomy: the higher). Returns the
    names of the fields that changed."""
    changed = []
    for name, found in (
        ("vendors", facts.vendors),
        ("models_used", facts.models),
        ("data_categories", facts.data_categories),
    ):
        current = list(getattr(system, name) or [])
        merged = current + [v for v in found if v not in current]
        if merged != current:
            setattr(system, name, merged)
            changed.append(name)
    if facts.autonomy_level and (
        not system.autonomy_level
        or AUTONOMY_ORDER.index(facts.autonomy_level) > AUTONOMY_ORDER.index(system.autonomy_level)
    ):
        system.autonomy_level = facts.autonomy_level
        changed.append("autonomy_level")
    return changed


# -- rows --------------------------------------------------------------------------------------


@dataclass
class RowReport:
    row: int  # 1-based data row (CSV: line 2 is row 1)
    name: str
    values: dict[str, Any]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _split(value: Any) -> list[str]:
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = value.split(";")
    elif value is None:
        items = []
    else:
        raise ValueError("expected a list")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError("list items must be text")
        _add(out, item)
    if len(out) > 50:
        raise ValueError("at most 50 items")
    return out


def check_row(raw: Mapping[str, Any], *, row: int) -> RowReport:
    """One imported row as model values, or the reasons it is refused."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    unknown = sorted(k for k in raw if k not in COLUMNS)
    if unknown:
        errors.append(f"unknown column(s): {', '.join(str(k)[:40] for k in unknown)}")
    for column, name in COLUMNS.items():
        value = raw.get(column)
        if name in LIST_FIELDS:
            try:
                values[name] = _split(value)
            except ValueError as exc:
                errors.append(f"{column}: {exc}")
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(f"{column}: expected text")
            continue
        value = value.strip()
        if name in CHOICES:
            if value == "" and name in ("annex_iii_area", "autonomy_level"):
                values[name] = ""
                continue
            if value == "":
                continue  # the model's default
            if value not in CHOICES[name]:
                allowed = ", ".join(c for c in CHOICES[name] if c)
                errors.append(f"{column}: {value[:40]!r} is not one of {allowed}")
                continue
        if name in MAX_LENGTHS and len(value) > MAX_LENGTHS[name]:
            errors.append(f"{column}: longer than {MAX_LENGTHS[name]} characters")
            continue
        values[name] = value
    for column in REQUIRED:
        if not values.get(COLUMNS[column]):
            errors.append(f"{column}: required")
    if values.get("eu_risk_class") != "high_risk" and values.get("annex_iii_area"):
        errors.append("annex_iii_area: only for high-risk systems")
    return RowReport(row=row, name=str(values.get("name", ""))[:200], values=values, errors=errors)


def parse_import(data: bytes, *, filename: str = "") -> list[dict[str, Any]]:
    """The rows of an uploaded CSV or JSON file (a list of objects, or {"systems": [...]})."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportError_(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_("The file is not UTF-8 text (CSV or JSON).") from None
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        from lib.safejson import loads

        try:
            doc = loads(text, max_depth=8)
        except ValueError as exc:  # JSONTooDeep and json.JSONDecodeError are ValueErrors
            raise ImportError_(f"The JSON file is not valid: {str(exc)[:200]}") from None
        rows = doc.get("systems") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ImportError_('A JSON import is a list of systems, or {"systems": [...]}.')
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "name" not in [f.strip() for f in reader.fieldnames]:
            raise ImportError_("A CSV import needs a header row with at least a 'name' column.")
        rows = []
        for raw in reader:
            rows.append({(k or "").strip(): v for k, v in raw.items() if k is not None or v})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportError_(f"At most {MAX_IMPORT_ROWS} systems per import.")
    return rows


def check_rows(rows: list[dict[str, Any]]) -> list[RowReport]:
    """Check every row; names must be unique within the file. Existing names are updates."""
    reports = [check_row(raw, row=i) for i, raw in enumerate(rows, start=1)]
    seen: dict[str, int] = {}
    for r in reports:
        key = r.name.casefold()
        if key and key in seen:
            r.errors.append(f"name: duplicate of row {seen[key]}")
        elif key:
            seen[key] = r.row
    return reports


# -- export ------------------------------------------------------------------------------------


def system_row(system: AISystem) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, name in COLUMNS.items():
        out[column] = list(getattr(system, name) or []) if name in LIST_FIELDS else getattr(system, name)
    return out


def to_csv(systems: Iterable[AISystem]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for s in systems:
        row = system_row(s)
        for column, name in COLUMNS.items():
            if name in LIST_FIELDS:
                row[column] = "; ".join(row[column])
            elif isinstance(row[column], str) and row[column][:1] in ("=", "+", "-", "@"):
                row[column] = "'" + row[column]  # no formula injection when opened in a spreadsheet
        writer.writerow(row)
    return buf.getvalue()


def to_json(systems: Iterable[AISystem]) -> str:
    return json.dumps({"systems": [system_row(s) for s in systems]}, ensure_ascii=False, indent=2)
