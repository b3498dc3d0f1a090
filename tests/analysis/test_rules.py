"""The rules file: strict validation on load, coverage of the rubric's criteria, and agreement
with the rubric's ``automated_checks``."""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

from analysis.ruleset import DEFAULT_RULES_PATH, default_rules, load_rules_file, parse_rules
from lib.errors import DomainError
from psf.rubric import CURRENT_RUBRIC_PATH, current_rubric
from tests.analysis.helpers import NOT_MAP_OBSERVABLE, rubric


def raw_rules() -> dict:
    return json.loads(json.dumps(yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))))


def errors_of(data: dict) -> list[str]:
    with pytest.raises(DomainError) as exc:
        parse_rules(data)
    return exc.value.lines()


def test_bundled_rules_load():
    rules = default_rules()
    assert rules.framework == "PSF" and rules.version == "1.1"
    assert len(rules.rules) >= 30
    assert all(re.fullmatch(r"PSF-\d-R\d\d", r.id) for r in rules.rules)


def test_every_map_observable_criterion_has_a_rule_and_the_others_need_evidence():
    rules = default_rules()
    for criterion in rubric().all_criteria():
        own = rules.for_criterion(criterion.code)
        assert own, f"no rule for {criterion.code}"
        kinds = {r.condition.kind for r in own}
        if criterion.code in NOT_MAP_OBSERVABLE:
            assert kinds == {"needs_evidence"}, criterion.code
        else:
            assert "needs_evidence" not in kinds, criterion.code
    assert sum(1 for c in rubric().all_criteria() if c.map_observable) == 34


def test_every_rule_links_its_criterion_page():
    for rule in default_rules().rules:
        domain = rule.criterion.split(".")[0]
        assert rule.guideline == f"/psf/{domain}/#{rule.criterion}"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r.update(id="PSF-1-R1"), "rules[0].id"),
        (lambda r: r.update(id="PSF-2-R01"), "numbered in PSF-2"),
        (lambda r: r.update(criterion="PSF-2.1"), "does not belong to domain PSF-1"),
        (lambda r: r.update(severity="urgent"), "rules[0].severity"),
        (lambda r: r.update(guideline="/psf/PSF-1/"), "guideline must be /psf/PSF-1/#PSF-1.1"),
        (lambda r: r.update(extra="x"), "rules[0].extra"),
        (lambda r: r["condition"].update(kind="every_path"), "rules[0].condition"),
        (lambda r: r["condition"].update(via=["injection_filtre"]), "unknown node type 'injection_filtre'"),
        (
            lambda r: r["condition"].update(targets=[{"where": {"x": 1}}]),
            "needs types, categories or trusted",
        ),
        (
            lambda r: r["condition"].update(via=[{"types": ["injection_filter"], "present": ["colour"]}]),
            "config field 'colour'",
        ),
        (lambda r: r["applies_when"].update(stakes="medium"), "rules[0].applies_when.stakes"),
    ],
)
def test_invalid_rules_are_refused_with_a_path(mutate, expected):
    data = raw_rules()
    mutate(data["rules"][0])
    lines = errors_of(data)
    assert any(expected in line for line in lines), lines


def test_node_has_config_value_must_fit_the_check():
    data = raw_rules()
    rule = next(
        r
        for r in data["rules"]
        if r["condition"]["kind"] == "node_has_config" and r["condition"].get("check") == "at_least"
    )
    rule["condition"]["value"] = "thirty"
    assert any("needs a number" in line for line in errors_of(data))
    rule["condition"]["value"] = 30
    rule["condition"]["fields"] = ["no_such_field"]
    assert any("no config field 'no_such_field'" in line for line in errors_of(data))


def test_duplicate_rule_ids_are_refused():
    data = raw_rules()
    data["rules"].append(copy.deepcopy(data["rules"][0]))
    assert any("duplicate rule id PSF-1-R01" in line for line in errors_of(data))


def test_load_rules_file_reports_unreadable_and_invalid_yaml(tmp_path):
    with pytest.raises(DomainError) as exc:
        load_rules_file(tmp_path / "missing.yaml")
    assert "cannot read" in exc.value.lines()[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [", encoding="utf-8")
    with pytest.raises(DomainError) as exc:
        load_rules_file(bad)
    assert "not valid YAML" in exc.value.lines()[0]


@pytest.mark.skipif(not CURRENT_RUBRIC_PATH.exists(), reason="psf/rubrics/psf-v1.1.yaml not written yet")
def test_rubric_automated_checks_and_rules_agree_both_ways():
    rules = default_rules()
    by_criterion = {c.code: set(c.automated_checks) for c in current_rubric().all_criteria()}
    for rule in rules.rules:
        assert rule.id in by_criterion.get(rule.criterion, set()), (
            f"{rule.id} missing from {rule.criterion}.automated_checks"
        )
    known = {r.id: r.criterion for r in rules.rules}
    for code, checks in by_criterion.items():
        for check in checks:
            assert known.get(check) == code, f"{code} lists {check}, which is not a rule for it"
