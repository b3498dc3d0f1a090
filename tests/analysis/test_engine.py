"""The engine: applicability, scoring, pass/fail, coverage, the result's JSON form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.engine import Finding, analyse, criterion_score
from analysis.ruleset import default_rules, parse_rules
from tests.analysis.helpers import fixture_rubric, load_fixture, make_doc, rubric

ROOT = Path(__file__).resolve().parents[2]


def finding(severity: str, status: str) -> Finding:
    return Finding("PSF-1-R01", "t", "PSF-1.1", "PSF-1", severity, status, [], [], "", "", "", "", "")


@pytest.mark.parametrize(
    ("findings", "score"),
    [
        ([("high", "met")], 4),
        ([("high", "met"), ("low", "met")], 4),
        ([("high", "partial")], 2),
        ([("critical", "met"), ("medium", "partial")], 3),  # share 5/6 → 3.3, capped at 3
        ([("critical", "missing")], 0),
        ([("critical", "missing"), ("high", "met"), ("high", "met")], 1),  # 2.4 → capped at 1
        ([("high", "missing"), ("critical", "met")], 2),  # 2.3 → 2
        ([("medium", "missing"), ("critical", "met"), ("high", "met")], 3),  # 3.1 → capped at 3
        ([("low", "missing"), ("medium", "met")], 3),  # 2.67 → 3
        ([("medium", "missing"), ("medium", "met")], 2),  # exactly 2.0
        ([("medium", "partial"), ("medium", "missing")], 1),
        ([("high", "not_applicable")], None),
        ([("high", "needs_evidence")], None),
    ],
)
def test_criterion_score(findings, score):
    assert criterion_score([finding(sev, st) for sev, st in findings]) == score


def test_a_controlled_map_scores_4_but_never_5():
    result = analyse(load_fixture("rag_assistant_controlled"), rubric())
    assert result.passed
    assert {c.score for c in result.criteria if c.status == "scored"} == {4}
    assert result.overall_score == 4.0


def test_not_map_observable_criteria_only_ever_need_evidence():
    result = analyse(load_fixture("support_agent_controlled"), rubric())
    for code in ("PSF-3.4", "PSF-3.5", "PSF-6.5", "PSF-7.5", "PSF-8.4", "PSF-8.5"):
        crit = next(c for c in result.criteria if c.code == code)
        assert crit.status == "needs_evidence" and crit.score is None
        assert {f.status for f in result.findings if f.criterion == code} == {"needs_evidence"}


def test_a_rule_on_a_non_observable_criterion_is_forced_to_needs_evidence():
    data = default_rules().to_data()
    rule = dict(next(r for r in data["rules"] if r["id"] == "PSF-8-R02"))  # met in this fixture
    rule.update(id="PSF-8-R99", criterion="PSF-8.4", guideline="/psf/PSF-8/#PSF-8.4")
    data["rules"].append(rule)
    rules = parse_rules(data)
    result = analyse(load_fixture("support_agent_controlled"), rubric(), rules)
    assert result.finding("PSF-8-R99").status == "needs_evidence"
    assert result.finding("PSF-8-R02").status == "met"


def test_rules_for_criteria_outside_the_rubric_are_skipped():
    data = default_rules().to_data()
    data["rules"][0].update(
        id="PSF-9-R01", domain="PSF-9", criterion="PSF-9.1", guideline="/psf/PSF-9/#PSF-9.1"
    )
    result = analyse(load_fixture("rag_assistant_bare"), rubric(), parse_rules(data))
    assert result.finding("PSF-9-R01") is None
    assert len(result.findings) == len(data["rules"]) - 1


def test_facts_drive_applicability():
    nodes = {"u": "user_input", "m": ("llm_call", {"autonomy_level": "L4"}), "r": "response"}
    internal = analyse(make_doc(nodes, "u>m>r"), rubric())
    external = analyse(make_doc(nodes, "u>m>r", audience="external"), rubric())
    regulated = analyse(make_doc(nodes, "u>m>r", regulated=True), rubric())
    assert internal.finding("PSF-6-R02").status == "not_applicable"
    assert "audience is internal" in internal.finding("PSF-6-R02").actual
    assert external.finding("PSF-6-R02").status == "missing"
    assert regulated.finding("PSF-6-R02").status == "missing"
    # personal-data rules only with personal data; 90-day traces only when regulated
    assert internal.finding("PSF-3-R01").status == "not_applicable"
    personal = analyse(make_doc(nodes, "u>m>r", personal_data=True), rubric())
    assert personal.finding("PSF-3-R01").status == "missing"
    assert internal.finding("PSF-4-R04").status == "not_applicable"
    assert regulated.finding("PSF-4-R04").status == "missing"
    assert regulated.finding("PSF-4-R03").status == "not_applicable"
    # L3+ needs tracing and alerting
    assert internal.finding("PSF-6-R03").status == "missing"
    calm = analyse(make_doc({**nodes, "m": ("llm_call", {"autonomy_level": "L2"})}, "u>m>r"), rubric())
    assert calm.finding("PSF-6-R03").status == "not_applicable"


def test_high_stakes_need_a_human_before_any_sink():
    nodes = {"u": "user_input", "m": "llm_call", "h": "human_review", "r": "response"}
    low = analyse(make_doc(nodes, "u>m>r"), rubric())
    high = analyse(make_doc(nodes, "u>m>r", stakes="high"), rubric())
    reviewed = analyse(make_doc(nodes, "u>m>h>r", stakes="high"), rubric())
    assert low.finding("PSF-6-R06").status == "not_applicable"
    assert high.finding("PSF-6-R06").status == "missing"
    assert high.finding("PSF-6-R06").paths == [["m", "r"]]
    assert reviewed.finding("PSF-6-R06").status == "met"


def test_domain_scores_pass_rule_and_reasons():
    result = analyse(load_fixture("credit_decision_unreviewed"), rubric())
    assert not result.passed
    by_code = {d.code: d for d in result.domains}
    for d in result.domains:
        scores = [c.score for c in result.criteria if c.domain == d.code and c.score is not None]
        assert d.score == pytest.approx(round(sum(scores) / len(scores) + 1e-9, 1))
        assert d.passed == (d.score >= d.threshold and d.score > 0)
    assert by_code["PSF-1"].threshold == 3.0 and by_code["PSF-8"].threshold == 2.0
    assert any(r.startswith("PSF-5 scored 0.0") for r in result.reasons)
    assert result.overall_score == pytest.approx(round(sum(d.score for d in result.domains) / 8 + 1e-9, 1))


def test_a_domain_without_a_score_fails_with_a_reason():
    result = analyse(load_fixture("etl_no_model"), rubric())
    assert result.domain("PSF-1").score is None
    assert not result.domain("PSF-1").passed
    assert "PSF-1 has no score" in result.reasons
    assert not result.passed


def test_coverage_names_controls_and_steps_of_met_findings():
    result = analyse(load_fixture("rag_assistant_controlled"), rubric())
    assert set(result.coverage) == {f"PSF-{n}" for n in range(1, 9)}
    assert {"inj", "inval", "rate"} <= set(result.coverage["PSF-1"])
    assert {"trace", "alerts", "llm", "llm_b"} <= set(result.coverage["PSF-4"])  # traced model calls count
    assert "deploy_log" in result.coverage["PSF-5"] and "deploy_log" in result.coverage["PSF-4"]
    assert "resp" not in {n for ids in result.coverage.values() for n in ids}
    bare = analyse(load_fixture("rag_assistant_bare"), rubric())
    assert bare.coverage["PSF-1"] == []


def test_result_json_is_complete_and_deterministic():
    doc = load_fixture("claims_intake_partial")
    first = analyse(doc, rubric()).to_data()
    second = analyse(load_fixture("claims_intake_partial"), rubric()).to_data()
    assert json.dumps(first) == json.dumps(second)
    assert first["schema"] == "workflowos.analysis/v1"
    assert first["rubric"]["key"] == "PSF v1.1" and len(first["rubric"]["hash"]) == 64
    assert first["workflow"]["hash"] == doc.content_hash()
    assert first["summary"]["findings"] == len(first["findings"]) == len(default_rules().rules)
    assert sum(first["summary"]["by_status"].values()) == len(first["findings"])
    keys = {
        "rule_id", "title", "criterion", "domain", "severity", "status", "node_ids", "paths",
        "expected", "actual", "message", "remediation", "guideline",
    }  # fmt: skip
    assert all(set(f) == keys for f in first["findings"])
    order = [(f["criterion"], f["rule_id"]) for f in first["findings"]]
    assert order == sorted(order, key=lambda x: (int(x[0][4]), int(x[0][6:]), x[1]))


def test_node_order_does_not_change_the_result():
    data = json.loads(
        (ROOT / "tests/analysis/fixtures/support_agent_controlled.json").read_text(encoding="utf-8")
    )
    shuffled = {**data, "nodes": list(reversed(data["nodes"])), "edges": list(reversed(data["edges"]))}
    from studio.format import parse_document

    a = analyse(parse_document(data), rubric())
    b = analyse(parse_document(shuffled), rubric())
    assert a.workflow_hash == b.workflow_hash
    assert [(f.rule_id, f.status, f.node_ids) for f in a.findings] == [
        (f.rule_id, f.status, f.node_ids) for f in b.findings
    ]


def test_the_standin_rubric_and_the_bundled_one_score_alike():
    doc = load_fixture("invoice_extraction")
    assert analyse(doc, fixture_rubric()).to_data()["domains"] == analyse(doc, rubric()).to_data()["domains"]


def test_the_engine_imports_no_django():
    code = (
        "import sys, analysis.engine, analysis.cli, analysis.sarif, analysis.ruleset; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_known_content_hash_is_used_as_given():
    doc = load_fixture("code_assistant")
    assert analyse(doc, rubric(), workflow_hash="abc").workflow_hash == "abc"
    assert analyse(doc, rubric()).workflow_hash == doc.content_hash()
