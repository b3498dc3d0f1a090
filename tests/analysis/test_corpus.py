"""The fixture corpus: each workflow's hand-written expected findings (fixtures/expected.yaml)."""

from __future__ import annotations

import json

import pytest
import yaml

from analysis.engine import analyse
from analysis.ruleset import default_rules
from tests.analysis.helpers import FIXTURES, fixture_names, load_fixture, rubric

EXPECTED: dict = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))


def test_the_corpus_is_large_and_fully_described():
    assert len(fixture_names()) >= 20
    assert set(EXPECTED) == set(fixture_names())
    known = {r.id for r in default_rules().rules}
    for name, spec in EXPECTED.items():
        assert set(spec) == {"passed", "findings"}, name
        assert set(spec["findings"]) <= known, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings(name):
    spec = EXPECTED[name]
    result = analyse(load_fixture(name), rubric())
    got = {rule_id: result.finding(rule_id).status for rule_id in spec["findings"]}
    assert got == spec["findings"]
    assert result.passed is spec["passed"], result.reasons
    again = analyse(load_fixture(name), rubric())
    assert json.dumps(again.to_data()) == json.dumps(result.to_data())


def test_every_rule_is_seen_met_and_failing_across_the_corpus():
    met: set[str] = set()
    failing: set[str] = set()
    for spec in EXPECTED.values():
        for rule_id, status in spec["findings"].items():
            if status == "met":
                met.add(rule_id)
            elif status in ("missing", "partial"):
                failing.add(rule_id)
    checkable = {r.id for r in default_rules().rules if r.condition.kind != "needs_evidence"}
    assert checkable - met == set()
    assert checkable - failing == set()


def test_failing_findings_name_the_steps_that_show_them():
    for name in fixture_names():
        result = analyse(load_fixture(name), rubric())
        ids = {n.id for n in load_fixture(name).nodes}
        for f in result.findings:
            assert set(f.node_ids) <= ids
            for path in f.paths:
                assert set(path) <= ids and len(path) >= 2
            if f.failing and "has no" not in f.actual:
                assert f.node_ids, (name, f.rule_id)


# --- the studio's DSA templates belong to the corpus too ------------------------------------

try:
    from studio.templates_data import list_templates, load_template

    TEMPLATES = list_templates(include_unlisted=True)
except ImportError:  # pragma: no cover - the templates arrive with the studio
    TEMPLATES = []


@pytest.mark.skipif(not TEMPLATES, reason="studio templates not available")
@pytest.mark.parametrize("entry", TEMPLATES, ids=lambda e: e.slug)
def test_templates_analyse_deterministically(entry):
    first = analyse(load_template(entry.slug), rubric())
    second = analyse(load_template(entry.slug), rubric())
    assert json.dumps(first.to_data()) == json.dumps(second.to_data())
    if entry.kind == "domain":
        # A per-domain template shows that domain's controls: it at least passes that domain.
        own = first.domain(entry.domain)
        assert own.score is not None and own.score >= 3.0, [
            f.rule_id for f in first.findings if f.domain == entry.domain and f.failing
        ]
    if entry.kind == "demo":
        assert not first.passed
        assert first.finding("PSF-1-R01").status == "missing"
