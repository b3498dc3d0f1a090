"""The launch pack's content comes from the client's own workflows and analyses: weak domains give
workshop sessions, missing and partial findings give control-plan rows, the questionnaire is
pre-filled from the maps; every user-typed name is escaped; the author follows the documented rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from accounts.branding import Branding
from msp.launchpack import (
    WEAK_SEVERITIES,
    Author,
    DomainInfo,
    WorkflowInput,
    build_launch_pack,
    launch_pack_for,
)
from tests.msp.helpers import HOSTILE, advisory_firm, analysis_of, from_template, make_workflow, unguarded_doc

BRAND = Branding(name="Acme AI", colour="#1e3a8a", text_on_colour="#ffffff")
DOMAINS = [
    DomainInfo("PSF-1", "Input Governance", 3.0),
    DomainInfo("PSF-2", "Output Validation", 3.0),
    DomainInfo("PSF-8", "Vendor Resilience", 2.0),
]


def _finding(
    rule: str, domain: str, status: str, severity: str = "medium", nodes: list[str] | None = None
) -> dict[str, Any]:
    return {
        "rule_id": rule,
        "title": f"title of {rule}",
        "criterion": f"{domain}.1",
        "domain": domain,
        "severity": severity,
        "status": status,
        "node_ids": nodes or [],
        "remediation": f"fix {rule}",
    }


def _result(domains: dict[str, float | None], findings: list[dict[str, Any]]) -> dict[str, Any]:
    thresholds = {d.code: d.threshold for d in DOMAINS}
    scored = [s for s in domains.values() if s is not None]
    return {
        "overall_score": sum(scored) / len(scored) if scored else None,
        "passed": False,
        "domains": [{"code": c, "score": s, "threshold": thresholds[c]} for c, s in domains.items()],
        "findings": findings,
    }


def _pack(workflows: list[WorkflowInput]) -> Any:
    return build_launch_pack(
        workflows=workflows,
        domains=DOMAINS,
        client=BRAND,
        client_name="Acme AI",
        slug="acme-ai",
        author=Author("Northwind", "Mia", True),
        generated=datetime(2026, 12, 3, tzinfo=UTC),
        rubric="PSF v1.1",
    )


def test_weak_domains_give_one_session_each_and_failing_findings_give_control_rows() -> None:
    doc = {"nodes": [{"id": "m", "type": "llm_call", "label": "Model"}]}
    a = WorkflowInput(
        "A",
        1,
        doc,
        _result(
            {"PSF-1": 2.5, "PSF-2": 3.5, "PSF-8": 2.0},  # PSF-1 below 3.0; PSF-8 at its threshold 2.0
            [
                _finding("R1", "PSF-1", "missing", "low", ["m"]),
                _finding("R2", "PSF-2", "partial", "medium"),  # PSF-2: score fine, only a medium finding
                _finding("R3", "PSF-2", "met", "critical"),
                _finding("R4", "PSF-8", "missing", "critical"),  # PSF-8 weak through a critical finding
                _finding("R5", "PSF-1", "needs_evidence", "high"),
            ],
        ),
    )
    pack = _pack([a])
    assert [s.domain for s in pack.sessions] == ["PSF-1", "PSF-8"]
    assert [d.code for d in pack.strong_domains] == ["PSF-2"]
    psf8 = pack.sessions[1]
    assert psf8.minutes == 90 and psf8.findings[0].rule_id == "R4"  # a critical finding: a longer session
    assert pack.sessions[0].minutes == 60 and pack.sessions[0].lowest_score == 2.5
    # Every missing or partial finding, most severe first; met and needs-evidence ones are not controls.
    assert [(c.rule_id, c.priority, c.status) for c in pack.controls] == [
        ("R4", "P1", "missing"),
        ("R2", "P3", "partial"),
        ("R1", "P4", "missing"),
    ]
    assert pack.controls[2].where == "Model" and pack.controls[0].ref == "C-01"
    assert "critical" in WEAK_SEVERITIES


def test_a_domain_with_no_map_score_is_weak_and_an_unanalysed_workflow_is_named() -> None:
    good = WorkflowInput("A", 1, {"nodes": []}, _result({"PSF-1": 3.5, "PSF-2": None, "PSF-8": 3.0}, []))
    broken = WorkflowInput("B", 2, {"nodes": []}, None)
    pack = _pack([good, broken])
    assert [s.domain for s in pack.sessions] == ["PSF-2"]
    assert "no score from the map" in pack.sessions[0].reasons[0]
    assert pack.not_analysed == ("B",) and pack.controls == ()


@pytest.mark.django_db
def test_pack_from_seeded_workflows_matches_their_analyses(personas: Any) -> None:
    guarded = from_template(personas.acme, personas.alice, "rag-assistant", "Help-centre assistant")
    bare = make_workflow(personas.acme, personas.pat, unguarded_doc("Sales bot"))
    make_workflow(personas.globex, personas.gus, unguarded_doc("Globex secret bot", vendor="globex-llm"))

    pack = launch_pack_for(organisation=personas.acme, user=personas.mia)

    results = {"Help-centre assistant": analysis_of(guarded), "Sales bot": analysis_of(bare)}
    failing = [
        (name, f["rule_id"])
        for name, r in results.items()
        for f in r["findings"]
        if f["status"] in ("missing", "partial")
    ]
    assert failing, "the unguarded workflow has open findings"
    assert sorted((c.workflow, c.rule_id) for c in pack.controls) == sorted(failing)
    severities = [c.severity for c in pack.controls]
    order = ["critical", "high", "medium", "low"]
    assert severities == sorted(severities, key=order.index)

    expected_weak = set()
    for r in results.values():
        for d in r["domains"]:
            if d["score"] is not None and d["score"] < d["threshold"]:
                expected_weak.add(d["code"])
        for f in r["findings"]:
            if f["status"] in ("missing", "partial") and f["severity"] in WEAK_SEVERITIES:
                expected_weak.add(f["domain"])
    assert expected_weak <= {s.domain for s in pack.sessions}
    assert len(pack.sessions) + len(pack.strong_domains) == 8

    # The questionnaire: systems, vendors, data categories and autonomy from the maps, Acme's only.
    q = pack.questionnaire
    assert [s.name for s in q.systems] == ["Help-centre assistant", "Sales bot"]
    sales = q.systems[1]
    assert sales.ai_steps[0].model == "gpt-4o" and sales.ai_steps[0].autonomy == "L3"
    assert sales.highest_autonomy == "L3" and ("Personal data", "yes") in sales.facts
    vendors = {v.key: v.used_in for v in q.vendors}
    assert "Sales bot — Autopilot" in vendors["openai"] and "globex-llm" not in vendors
    cats = {c.key for c in q.data_categories}
    assert {"personal", "financial"} <= cats
    assert "Sales bot — Autopilot" in {u for a in q.autonomy if a.key == "L3" for u in a.used_in}


@pytest.mark.django_db
def test_user_typed_names_are_escaped_on_the_page_and_in_the_pdf_html(personas: Any, client_for: Any) -> None:
    from msp.pdf_jobs import launch_pack_pdf_html

    make_workflow(personas.acme, personas.pat, unguarded_doc(HOSTILE, label=HOSTILE, vendor=HOSTILE))
    personas.acme.brand_name = HOSTILE
    personas.acme.save()
    resp = client_for(personas.mia).get("/clients/acme-ai/launch-pack/")
    assert resp.status_code == 200
    html = resp.content.decode()
    pdf_html = launch_pack_pdf_html(launch_pack_for(organisation=personas.acme, user=personas.mia))
    for text in (html, pdf_html):
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in text


@pytest.mark.django_db
def test_the_author_is_the_advisers_firm_never_another_client(personas: Any, client_for: Any) -> None:
    make_workflow(personas.acme, personas.pat, unguarded_doc("Sales bot"))
    # mia works in Acme and Globex (practitioner): no firm of her own, so her own name.
    pack = launch_pack_for(organisation=personas.acme, user=personas.mia)
    assert pack.author.line == "Mia Adviser" and not pack.author.is_organisation
    html = client_for(personas.mia).get("/clients/acme-ai/launch-pack/").content.decode()
    assert "Globex" not in html.split('data-testid="lp-author"')[1][:200]

    advisory_firm(personas.mia)
    pack = launch_pack_for(organisation=personas.acme, user=personas.mia)
    assert pack.author.name == "Northwind Advisory" and pack.author.line == "Northwind Advisory (Mia Adviser)"
    html = client_for(personas.mia).get("/clients/acme-ai/launch-pack/").content.decode()
    assert "Northwind Advisory (Mia Adviser)" in html
    # The client's own admin asking: Acme is not "another" organisation, so her own name.
    assert launch_pack_for(organisation=personas.acme, user=personas.alice).author.line == "Alice Admin"


@pytest.mark.django_db
def test_an_organisation_without_workflows_gets_a_pack_that_says_so(personas: Any, client_for: Any) -> None:
    resp = client_for(personas.gus).get("/clients/globex/launch-pack/")
    assert resp.status_code == 200
    assert "No workflow is mapped yet" in resp.content.decode()
