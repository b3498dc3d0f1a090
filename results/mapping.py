"""Tool test names → OWASP LLM Top 10 (2025) and PSF criteria, from ``results/data/mapping.yaml``,
and the observed pass rate per PSF domain with a Wilson score interval.

Pure Python (no Django).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints

MAPPING_FILE = Path(__file__).parent / "data" / "mapping.yaml"
Z95 = 1.959963984540054

Owasp = Annotated[str, StringConstraints(pattern=r"^LLM(0[1-9]|10)$")]
Criterion = Annotated[str, StringConstraints(pattern=r"^PSF-[1-8]\.[1-5]$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Entry(_Strict):
    id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    prefix: bool = False
    owasp: list[Owasp]
    psf: list[Criterion]


class Mapping(_Strict):
    schema_: str = ""
    owasp_llm_2025: dict[str, str]
    promptfoo: list[Entry]

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    def lookup(self, tool: str, name: str) -> Entry | None:
        """Exact id first, then the longest prefix entry (``harmful`` covers ``harmful:hate``;
        ``pii`` covers ``pii:direct``)."""
        entries: list[Entry] = getattr(self, tool, [])
        for e in entries:
            if e.id == name:
                return e
        best: Entry | None = None
        for e in entries:
            if e.prefix and name.startswith(e.id + ":") and (best is None or len(e.id) > len(best.id)):
                best = e
        return best


@lru_cache(maxsize=1)
def load_mapping(path: str | None = None) -> Mapping:
    data = yaml.safe_load(Path(path or MAPPING_FILE).read_text(encoding="utf-8"))
    data["schema_"] = data.pop("schema", "")
    return Mapping.model_validate(data)


def wilson(passed: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``passed`` of ``total`` (95 % by default)."""
    if total <= 0:
        return (0.0, 1.0)
    p = passed / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def map_promptfoo(plugins: dict[str, dict[str, int]], mapping: Mapping | None = None) -> dict[str, Any]:
    """Per plugin its OWASP ids and PSF criteria; per PSF domain and criterion the observed pass
    rate with its Wilson interval; plugins the mapping does not know."""
    mapping = mapping or load_mapping()
    rows = []
    unmapped = []
    domains: dict[str, list[int]] = {}
    criteria: dict[str, list[int]] = {}
    for name, c in sorted(plugins.items()):
        entry = mapping.lookup("promptfoo", name)
        passed, total = c.get("pass", 0), c.get("tests", 0)
        if entry is None:
            unmapped.append(name)
            continue
        rows.append({"plugin": name, "owasp": entry.owasp, "psf": entry.psf, "pass": passed, "tests": total})
        for code in entry.psf:
            criteria.setdefault(code, [0, 0])
            criteria[code][0] += passed
            criteria[code][1] += total
        for domain in sorted({code.split(".")[0] for code in entry.psf}):
            domains.setdefault(domain, [0, 0])
            domains[domain][0] += passed
            domains[domain][1] += total

    def rate(passed: int, total: int) -> dict[str, Any]:
        low, high = wilson(passed, total)
        return {
            "pass": passed,
            "tests": total,
            "pass_rate": round(passed / total, 4) if total else None,
            "wilson95": [round(low, 4), round(high, 4)],
        }

    return {
        "plugins": rows,
        "unmapped": unmapped,
        "domains": {d: rate(*v) for d, v in sorted(domains.items(), key=lambda kv: _order(kv[0]))},
        "criteria": {c: rate(*v) for c, v in sorted(criteria.items(), key=lambda kv: _order(kv[0]))},
        "owasp": mapping.owasp_llm_2025,
    }


def _order(code: str) -> tuple[int, ...]:
    return tuple(int(p) for p in code.removeprefix("PSF-").split("."))
