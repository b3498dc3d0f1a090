"""The content of an evidence pack: its artefacts (the JSON files of the bundle) and the context
the PDF template renders, built from plain inputs that the services read from the database.

Every artefact is canonical JSON (sorted keys, no whitespace), so the SHA-256 of a workflow file
equals the version's content hash and that of a simulation report its report hash: a reader can
match the appendix with what the studio shows. The pack's content hash is the SHA-256 of the
canonical list of artefact paths and hashes; it is printed on the cover and recorded in
``pack.json``.

No Django here: the inputs are dataclasses, the output plain data and escaped SVG.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from evidence.diagram import Diagram, clean_text, legend, render_diagram
from lib.canonical import canonical_json, content_hash, sha256_hex
from lib.charts import domain_scores_svg
from studio.catalogue import load_catalogue

PACK_FORMAT = "workflowos.evidence-pack/v1"
PDF_NAME = "evidence.pdf"
PACK_JSON_NAME = "pack.json"
MATRIX_COLUMNS = 11  # control columns per matrix table: more would not fit A4 portrait
MAX_CONFIG_TEXT = 1200
STATUS_ORDER = {"missing": 0, "partial": 1, "needs_evidence": 2, "met": 3, "not_applicable": 4}
STATUS_LABELS = {
    "missing": "Missing",
    "partial": "Partial",
    "needs_evidence": "Needs evidence",
    "met": "Met",
    "not_applicable": "Not applicable",
}
OUTCOME_LABELS = {
    "served_safely": "Served safely",
    "caught": "Caught",
    "escaped": "Escaped",
    "degraded": "Degraded",
    "failed": "Failed",
}
CHECK_LABELS = {
    "escape_rate": "Escape rate",
    "availability": "Availability",
    "p99_latency_ms": "p99 latency",
    "false_positive_rate": "False-positive rate",
}
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationInput:
    run_id: int
    report: dict[str, Any]
    report_hash: str
    seed: int
    n: int
    catalogue_version: str
    finished: datetime | None


@dataclass(frozen=True)
class WorkflowInput:
    workflow_id: int
    name: str
    description: str
    version_number: int
    version_created: datetime
    version_author: str
    version_message: str
    content_hash: str
    document: dict[str, Any]
    analysis: dict[str, Any] | None
    analysis_created: datetime | None
    simulation: SimulationInput | None = None


@dataclass(frozen=True)
class CriterionScoreInput:
    criterion: str
    title: str
    domain: str
    score: int
    comment: str


@dataclass(frozen=True)
class AssessmentInput:
    reference: str
    status: str
    rubric: str
    submission_number: int
    submitted_at: datetime
    snapshot: dict[str, Any]
    snapshot_hash: str
    scores: list[CriterionScoreInput] = field(default_factory=list)
    domain_scores: dict[str, Any] = field(default_factory=dict)
    computed_passed: bool | None = None
    decision: str | None = None  # "passed" / "failed" when decided
    overridden: bool = False
    override_reason: str = ""
    decided_at: datetime | None = None
    assessor: str = ""


@dataclass(frozen=True)
class PackInput:
    reference: str
    title: str
    organisation_name: str
    organisation_slug: str
    brand_name: str
    brand_colour: str
    scope: str  # "workflows" or "submission"
    rubric: str
    created: datetime
    created_by: str
    workflows: list[WorkflowInput]
    assessment: AssessmentInput | None = None
    instance: str = "WorkflowOS"
    # The organisation's logo as a data: URI (accounts.branding.branding_for), or empty. Like the
    # name and colour it changes only how the PDF looks, never an artefact or the content hash.
    brand_logo: str = ""


# --- output ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Artefact:
    path: str
    kind: str
    title: str
    data: bytes
    note: str = ""

    @cached_property
    def sha256(self) -> str:
        return sha256_hex(self.data)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Pack:
    input: PackInput
    artefacts: list[Artefact]
    content_hash: str
    context: dict[str, Any]

    def pack_json(self) -> bytes:
        """``pack.json``: the index of the bundle, for machines."""
        p = self.input
        data = {
            "format": PACK_FORMAT,
            "reference": p.reference,
            "title": p.title,
            "organisation": {"name": p.organisation_name, "slug": p.organisation_slug},
            "scope": p.scope,
            "rubric": p.rubric,
            "created": _iso(p.created),
            "content_hash": self.content_hash,
            "workflows": [
                {"workflow_id": w.workflow_id, "version": w.version_number, "content_hash": w.content_hash}
                for w in p.workflows
            ],
            "assessment": (
                {"reference": p.assessment.reference, "submission": p.assessment.submission_number}
                if p.assessment
                else None
            ),
            "artefacts": [
                {"path": a.path, "kind": a.kind, "title": a.title, "sha256": a.sha256, "size": a.size}
                for a in self.artefacts
            ],
            "pdf": PDF_NAME,
        }
        return (canonical_json(data) + "\n").encode("utf-8")

    def bundle_files(self, pdf: bytes) -> dict[str, bytes]:
        """Every file of the bundle (the manifest and signature are added by ``write_bundle``)."""
        files = {a.path: a.data for a in self.artefacts}
        files[PDF_NAME] = pdf
        files[PACK_JSON_NAME] = self.pack_json()
        return files


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json(data: Any) -> bytes:
    return canonical_json(data).encode("utf-8")


def pct(rate: float | None, digits: int = 3) -> str:
    """A rate for people: ``0.012345`` → ``1.235 %``."""
    if rate is None:
        return "—"
    return f"{rate * 100:.{digits}f} %"


def brand_colour(value: str) -> str:
    """The organisation's colour if it is a plain ``#rrggbb``, else our default (it goes into CSS)."""
    return value if _HEX_COLOUR.fullmatch(value or "") else "#1e3a8a"


# --- building ---------------------------------------------------------------------------------


def build_pack(p: PackInput, *, diagram_boxes: Mapping[str, Any] | None = None) -> Pack:
    """The artefacts, content hash and template context of the pack described by ``p``."""
    artefacts: list[Artefact] = []
    sections = []
    for index, w in enumerate(p.workflows, start=1):
        stem = f"workflow-{w.workflow_id}-v{w.version_number}"
        wf_files = [
            Artefact(f"workflows/{stem}.json", "workflow", f"{w.name} v{w.version_number}", _json(w.document))
        ]
        if w.analysis is not None:
            wf_files.append(
                Artefact(
                    f"analyses/analysis-{w.workflow_id}-v{w.version_number}.json",
                    "analysis",
                    f"PSF analysis of {w.name} v{w.version_number}",
                    _json(w.analysis),
                )
            )
        if w.simulation is not None:
            s = w.simulation
            wf_files.append(
                Artefact(
                    f"simulations/simulation-{s.run_id}-report.json",
                    "simulation",
                    f"Simulation #{s.run_id} of {w.name} v{w.version_number}",
                    _json(s.report),
                )
            )
            wf_files.append(
                Artefact(
                    f"simulations/simulation-{s.run_id}-params.json",
                    "simulation-params",
                    f"Parameters of simulation #{s.run_id}",
                    _json(s.report.get("params", {}).get("simulation", {})),
                )
            )
        artefacts.extend(wf_files)
        sections.append(_workflow_section(index, w, wf_files, diagram_boxes or {}))

    assessment = None
    if p.assessment is not None:
        a = p.assessment
        base = f"assessment/{a.reference}-submission-{a.submission_number}"
        artefacts.append(
            Artefact(
                f"{base}.json",
                "submission",
                f"{a.reference} submission {a.submission_number}",
                _json(a.snapshot),
            )
        )
        if a.scores or a.decision:
            artefacts.append(
                Artefact(f"{base}-review.json", "review", f"{a.reference} review", _json(_review_data(a)))
            )
        assessment = _assessment_section(a)

    digest = content_hash([{"path": x.path, "sha256": x.sha256} for x in artefacts])
    context = {
        "p": p,
        "reference": p.reference,
        "brand": {
            "name": p.brand_name or p.organisation_name,
            "colour": brand_colour(p.brand_colour),
            "logo": p.brand_logo,
        },
        "content_hash": digest,
        "workflows": sections,
        "assessment": assessment,
        "artefacts": artefacts,
        "legend": legend(),
        "pdf_name": PDF_NAME,
        "pack_json_name": PACK_JSON_NAME,
        "scope_label": "Assessment submission" if p.scope == "submission" else "Workflows",
    }
    return Pack(input=p, artefacts=artefacts, content_hash=digest, context=context)


def _review_data(a: AssessmentInput) -> dict[str, Any]:
    return {
        "assessment": a.reference,
        "submission": a.submission_number,
        "scores": [{"criterion": s.criterion, "score": s.score, "comment": s.comment} for s in a.scores],
        "domain_scores": a.domain_scores,
        "computed_passed": a.computed_passed,
        "decision": a.decision,
        "overridden": a.overridden,
        "override_reason": a.override_reason,
        "decided_at": _iso(a.decided_at),
    }


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if value is None:
        return "—"
    text = str(value)
    return text if len(text) <= MAX_CONFIG_TEXT else text[: MAX_CONFIG_TEXT - 1] + "… (full text in the JSON)"


def _reading_order(nodes: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Steps left to right, then top to bottom, as on the diagram (stored order without positions)."""
    if not all(isinstance(n.get("position"), Mapping) for n in nodes):
        return list(nodes)
    return sorted(nodes, key=lambda n: (float(n["position"]["x"]), float(n["position"]["y"]), str(n["id"])))


def _steps(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    catalogue = load_catalogue()
    common = {f.name: f.label for f in catalogue.common_fields}
    out = []
    for n in _reading_order(document.get("nodes") or []):
        node_type = catalogue.get(str(n.get("type")))
        config = n.get("config") or {}

        def label_of(name: str, node_type: Any = node_type) -> str:
            f = node_type.field(name) if node_type else None
            return f.label if f else common.get(name, name)

        out.append(
            {
                "id": n["id"],
                "label": n.get("label", ""),
                "type": n.get("type", ""),
                "type_label": node_type.label if node_type else n.get("type", ""),
                "category": node_type.category if node_type else "processing",
                "config": [(label_of(k), _format_value(v)) for k, v in sorted(config.items())],
            }
        )
    return out


def _facts(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    f = document.get("facts") or {}
    return [
        ("Handles personal data", "Yes" if f.get("personal_data") else "No"),
        ("Decision stakes", str(f.get("stakes", "low")).capitalize()),
        ("Audience", str(f.get("audience", "internal")).capitalize()),
        ("Regulated activity", "Yes" if f.get("regulated") else "No"),
    ]


def _workflow_section(
    index: int, w: WorkflowInput, files: Sequence[Artefact], boxes: Mapping[str, Any]
) -> dict[str, Any]:
    doc = w.document
    diagram: Diagram = render_diagram(doc, uid=f"wf{index}", **boxes)
    steps = _steps(doc)
    labels = {s["id"]: s["label"] for s in steps}
    section: dict[str, Any] = {
        "index": index,
        "anchor": f"wf-{index}",
        "w": w,
        "facts": _facts(doc),
        "steps": steps,
        "edges": len(doc.get("edges") or []),
        "diagram": diagram,
        "files": files,
        "analysis": _analysis_section(w.analysis, steps) if w.analysis is not None else None,
        "simulation": (
            _simulation_section(w.simulation, labels, w.analysis, workflow_file=files[0].path)
            if w.simulation is not None
            else None
        ),
    }
    return section


def _with_texts(finding: dict[str, Any], limit: int = 12) -> dict[str, Any]:
    """The steps and the first path of a finding as one line each (fewer boxes to lay out)."""
    ids = list(finding.get("node_ids") or [])
    steps = ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
    paths = finding.get("paths") or []
    path = " → ".join(paths[0]) + (f" (and {len(paths) - 1} more)" if len(paths) > 1 else "") if paths else ""
    return dict(finding, steps_text=steps, path_text=path)


def _analysis_section(result: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for f in result.get("findings", []):
        by_domain.setdefault(f["domain"], []).append(f)
    groups = []
    closed = []
    for d in result.get("domains", []):
        findings = [
            dict(f, status_label=STATUS_LABELS.get(f["status"], f["status"]))
            for f in sorted(
                by_domain.get(d["code"], []), key=lambda f: (STATUS_ORDER.get(f["status"], 9), f["rule_id"])
            )
        ]
        shut = [f for f in findings if f["status"] in ("met", "not_applicable")]
        groups.append(
            {
                "domain": d,
                "open": [_with_texts(f) for f in findings if f not in shut],
                "closed": shut,
                "met": [f for f in shut if f["status"] == "met"],
                "na": [f for f in shut if f["status"] == "not_applicable"],
                "met_ids": ", ".join(f["rule_id"] for f in shut if f["status"] == "met"),
                "na_ids": ", ".join(f["rule_id"] for f in shut if f["status"] == "not_applicable"),
            }
        )
        closed.extend(shut)
    codes = [d["code"] for d in result.get("domains", [])]
    coverage = {code: set(result.get("coverage", {}).get(code, [])) for code in codes}
    rows = [
        {"id": s["id"], "label": s["label"], "marks": [s["id"] in coverage[c] for c in codes]} for s in steps
    ]
    return {
        "result": result,
        "chart": domain_scores_svg(list(result.get("domains", []))),
        "groups": groups,
        "closed": closed,
        "codes": codes,
        "coverage_rows": rows,
        "coverage_totals": [len(coverage[c]) for c in codes],
        "summary": result.get("summary", {}).get("by_status", {}),
    }


def _type_label(node_type: str) -> str:
    found = load_catalogue().get(node_type)
    return found.label if found else node_type


def _check_rows(checks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for c in checks:
        name = str(c["check"])
        label = (
            f"Escape rate in {name[12:-1]}"
            if name.startswith("escape_rate[")
            else CHECK_LABELS.get(name, name)
        )
        if name == "p99_latency_ms":
            observed, tolerated = f"{c['observed']:,.0f} ms", f"{c['tolerated']:,.0f} ms"
        else:
            observed, tolerated = pct(c["observed"]), pct(c["tolerated"])
        comparison = "≤" if c["comparison"] == "<=" else "≥"
        rows.append(
            {
                "label": label,
                "observed": observed,
                "tolerated": f"{comparison} {tolerated}",
                "passed": bool(c["pass"]),
            }
        )
    return rows


def _simulation_section(
    s: SimulationInput, labels: Mapping[str, str], analysis: Mapping[str, Any] | None, *, workflow_file: str
) -> dict[str, Any]:
    from simulations.svg import domain_escape_svg  # pure; shared with the simulation pages

    report = s.report
    summary = report["summary"]
    names = {d["code"]: d["name"] for d in (analysis or {}).get("domains", [])}
    controls = {c["node"]: c for c in report.get("controls", [])}
    scenarios = {sc["id"]: sc for sc in report.get("scenarios", [])}
    matrix_rows = report["matrix"]["rows"]
    # Controls that acted on no request would only add empty columns; the key lists them.
    acting = [i for i in range(len(report["matrix"]["columns"])) if any(r["acted"][i] for r in matrix_rows)]
    codes = {i: f"C{n}" for n, i in enumerate(acting, start=1)}
    columns = []
    for i, node in enumerate(report["matrix"]["columns"]):
        c = controls.get(node, {})
        columns.append(
            {
                "code": codes.get(i, ""),
                "node": node,
                "label": c.get("label") or labels.get(node, node),
                "type": _type_label(c.get("type", "")),
                "caught": c.get("caught", 0),
                "rerouted": c.get("rerouted", 0),
                "false_positives": c.get("false_positives", 0),
            }
        )
    rows = []
    for r in matrix_rows:
        sc = scenarios.get(r["scenario"], {})
        requests = int(sc.get("requests") or 0)
        cells = []
        for i in acting:
            count = int(r["acted"][i])
            share = count / requests if requests else 0.0
            cells.append({"count": count, "alpha": f"{min(0.1 + 0.6 * share, 0.7):.2f}" if count else ""})
        rows.append(
            {
                "id": r["scenario"],
                "label": sc.get("label", r["scenario"]),
                "severity": sc.get("severity", ""),
                "applicable": sc.get("applicable", True),
                "requests": requests,
                "cells": cells,
                "escaped": int(r.get("escaped", 0)),
                "escape_rate": pct(sc.get("escape_rate"), 2),
            }
        )
    acting_columns = [columns[i] for i in acting]
    chunks = [
        {
            "columns": acting_columns[start : start + MATRIX_COLUMNS],
            "rows": [dict(r, cells=r["cells"][start : start + MATRIX_COLUMNS]) for r in rows],
        }
        for start in range(0, max(len(acting_columns), 1), MATRIX_COLUMNS)
    ]
    domains = [
        {
            "code": d["domain"],
            "name": names.get(d["domain"], ""),
            "tested": d["tested"],
            "escaped": d["escaped"],
            "rate": pct(d["escape_rate"]),
            "low": pct(d["ci95"][0]) if d.get("ci95") else "—",
            "high": pct(d["ci95"][1]) if d.get("ci95") else "—",
        }
        for d in report.get("domains", [])
    ]
    params = report.get("params", {})
    tol = params.get("simulation", {}).get("tolerances", {})
    return {
        "s": s,
        "verdict": report["verdict"],
        "checks": _check_rows(report["verdict"].get("checks", [])),
        "summary": summary,
        "outcomes": [
            (OUTCOME_LABELS[k], summary["outcomes"][k]["count"], pct(summary["outcomes"][k]["rate"]))
            for k in OUTCOME_LABELS
            if k in summary.get("outcomes", {})
        ],
        "escape": (
            pct(summary["escape_rate"]),
            *(pct(x) for x in summary.get("escape_rate_ci95", [None, None])),
        ),
        "availability": pct(summary.get("availability")),
        "false_positive_rate": pct(summary.get("false_positive_rate")),
        "latency_text": " / ".join(
            f"{summary.get('latency_ms', {}).get(k, 0):,}" for k in ("p50", "p95", "p99")
        )
        + " ms",
        "domains": domains,
        "chart": domain_escape_svg(
            report.get("domains", []), names=names, tolerances=tol.get("max_domain_escape_rate") or {}
        ),
        "columns": columns,
        "acting": acting_columns,
        "idle": [c for c in columns if not c["code"]],
        "matrix": chunks,
        "params": params,
        "params_json": canonical_json(params.get("simulation", {})),
        "reproduce": (
            f"workflowos simulate {workflow_file} --runs {s.n} --seed {s.seed} "
            f"--params simulations/simulation-{s.run_id}-params.json --format json"
        ),
    }


def _assessment_section(a: AssessmentInput) -> dict[str, Any]:
    domains: dict[str, list[CriterionScoreInput]] = {}
    for sc in sorted(a.scores, key=lambda x: x.criterion):
        domains.setdefault(sc.domain or sc.criterion.split(".")[0], []).append(sc)
    return {
        "a": a,
        "score_groups": [
            {"domain": code, "score": a.domain_scores.get(code), "criteria": items}
            for code, items in sorted(domains.items())
        ],
        "domain_scores": sorted(a.domain_scores.items()),
        "scope": [
            {
                "name": clean_text(row.get("name", "")),
                "version": (row.get("version") or {}).get("number"),
                "hash": (row.get("version") or {}).get("content_hash", ""),
            }
            for row in a.snapshot.get("scope", [])
            if isinstance(row, dict)
        ],
    }
