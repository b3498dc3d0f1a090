"""Shared helpers for the analysis tests: the fixture corpus and a rubric to score against.

Until ``psf/rubrics/psf-v1.1.yaml`` exists the tests use a small stand-in rubric built here
(valid against ``psf/rubric.py``, same codes, same pass rule, same map-observable flags).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from psf.rubric import CURRENT_RUBRIC_PATH, Rubric, current_rubric, parse_rubric
from studio.format import WorkflowDocument, parse_document

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
NOT_MAP_OBSERVABLE = {"PSF-3.4", "PSF-3.5", "PSF-6.5", "PSF-7.5", "PSF-8.4", "PSF-8.5"}
DOMAIN_NAMES = [
    "Input Governance",
    "Output Validation",
    "Data Protection",
    "Observability",
    "Deployment Safety",
    "Human Oversight",
    "Security",
    "Vendor Resilience",
]


def fixture_rubric_data() -> dict:
    """A minimal PSF v1.1 stand-in: 8 domains × 5 criteria, the DSA pass rule."""
    levels = [{"score": s, "descriptor": f"level {s}"} for s in range(6)]
    domains = []
    for d, name in enumerate(DOMAIN_NAMES, start=1):
        criteria = [
            {
                "code": f"PSF-{d}.{c}",
                "title": f"{name} criterion {c}",
                "requirement": "stand-in requirement",
                "guidance": "stand-in guidance",
                "evidence": ["workflow_map"],
                "levels": levels,
                "map_observable": f"PSF-{d}.{c}" not in NOT_MAP_OBSERVABLE,
            }
            for c in range(1, 6)
        ]
        domains.append(
            {
                "code": f"PSF-{d}",
                "number": d,
                "name": name,
                "principle": "p",
                "summary": "s",
                "criteria": criteria,
            }
        )
    return {
        "schema": "workflowos.rubric/v1",
        "framework": "PSF",
        "version": "1.1",
        "title": "PSF v1.1 (test stand-in)",
        "published": "2026-04-01",
        "licence": "CC BY 4.0",
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
        "publisher": "test",
        "attribution": "test",
        "citation": "test",
        "authored_note": "test stand-in",
        "evidence_types": [{"code": "workflow_map", "label": "Workflow map"}],
        "pass_rule": {
            "thresholds": [
                {"domains": [f"PSF-{d}" for d in range(1, 7)], "min_score": 3.0},
                {"domains": ["PSF-7", "PSF-8"], "min_score": 2.0},
            ],
            "forbid_zero_domain": True,
            "description": "≥ 3.0 on PSF-1..6, ≥ 2.0 on PSF-7 and PSF-8, no domain at 0",
        },
        "domains": domains,
    }


def fixture_rubric() -> Rubric:
    return parse_rubric(json.loads(json.dumps(fixture_rubric_data())))


def rubric() -> Rubric:
    """The bundled rubric once it exists, else the stand-in."""
    return current_rubric() if CURRENT_RUBRIC_PATH.exists() else fixture_rubric()


def load_fixture(name: str) -> WorkflowDocument:
    return parse_document(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def make_doc(nodes: dict[str, str | tuple[str, dict]], edges: str = "", **facts: object) -> WorkflowDocument:
    """A small valid document: ``nodes`` maps id → type or (type, config); ``edges`` is
    ``"a>b>c, c>d:fallback"`` (chains allowed, kind after a colon)."""
    node_list = []
    for node_id, spec in nodes.items():
        node_type, config = (spec, {}) if isinstance(spec, str) else spec
        node_list.append({"id": node_id, "type": node_type, "label": node_id, "config": config})
    edge_list = []
    for part in filter(None, (p.strip() for p in edges.split(","))):
        kind = "data"
        if ":" in part:
            part, kind = part.split(":")
        chain = [x.strip() for x in part.split(">")]
        for a, b in itertools.pairwise(chain):
            edge_list.append({"from": a, "to": b, "kind": kind})
    return parse_document({"name": "test", "facts": facts, "nodes": node_list, "edges": edge_list})
