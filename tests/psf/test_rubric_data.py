"""The bundled PSF v1.1 rubric file, and how broken rubric files are refused."""

from __future__ import annotations

import copy
import re
from datetime import date

import pytest
import yaml

from lib.errors import DomainError
from psf.rubric import (
    CURRENT_RUBRIC_PATH,
    EVIDENCE_TYPE_LABELS,
    current_rubric,
    load_rubric_file,
    load_rubric_text,
    parse_rubric,
)

# Names and principles as published on the PSF v1.1 page (the seed).
SEED_DOMAINS = {
    "PSF-1": (
        "Input Governance",
        "Every input reaching an AI model must be validated, sanitised, and treated as untrusted.",
    ),
    "PSF-2": (
        "Output Validation",
        "Raw model output is never trusted. Every output is validated before it acts on any system.",
    ),
    "PSF-3": (
        "Data Protection",
        "Personal and sensitive data is protected throughout the AI pipeline, not just at rest.",
    ),
    "PSF-4": (
        "Observability",
        "You cannot manage what you cannot measure. Every AI system in production must be observable.",
    ),
    "PSF-5": (
        "Deployment Safety",
        "Every model change is a risk. Production AI deployments require the same rigour as critical software.",
    ),
    "PSF-6": (
        "Human Oversight",
        "Automation does not mean unaccountable. High-stakes AI decisions require human checkpoints.",
    ),
    "PSF-7": (
        "Security",
        "AI systems introduce new attack surfaces. Standard security practices must extend to cover them.",
    ),
    "PSF-8": (
        "Vendor Resilience",
        "A production AI system that only works with one vendor is a liability, not an asset.",
    ),
}
NOT_MAP_OBSERVABLE = {"PSF-3.4", "PSF-3.5", "PSF-6.5", "PSF-7.5", "PSF-8.4", "PSF-8.5"}
MAPPING_FORMS = {
    "eu_ai_act": r"^Art\. \d+(\(\d+\))?$",
    "nist_ai_rmf": r"^(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+$",
    "iso_42001": r"^A\.\d+(\.\d+)+$",
    "owasp_llm_2025": r"^LLM(0[1-9]|10)$",
    "mitre_atlas": r"^AML\.M\d{4}$",
}
ALL_DOMAINS = [f"PSF-{n}" for n in range(1, 9)]


@pytest.fixture(scope="module")
def rubric():
    return load_rubric_file(CURRENT_RUBRIC_PATH)


@pytest.fixture
def raw():
    return yaml.safe_load(CURRENT_RUBRIC_PATH.read_text(encoding="utf-8"))


def refusal_lines(data) -> list[str]:
    with pytest.raises(DomainError) as info:
        load_rubric_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return info.value.lines()


# -- the bundled file ---------------------------------------------------------------------


def test_bundled_file_loads_as_psf_1_1(rubric):
    assert rubric.key == "PSF v1.1"
    assert rubric.schema_ == "workflowos.rubric/v1"
    assert rubric.published == date(2026, 4, 1)
    assert rubric.licence == "CC BY 4.0"
    assert rubric.licence_url == "https://creativecommons.org/licenses/by/4.0/"
    assert rubric.publisher == "Production AI Institute"
    assert "Production AI Institute, Production Safety Framework (PSF) v1.1, April 2026" in rubric.citation
    assert "CC BY 4.0" in rubric.attribution
    assert "not the official" in rubric.authored_note
    assert current_rubric() == rubric


def test_header_says_the_criteria_are_authored():
    header = CURRENT_RUBRIC_PATH.read_text(encoding="utf-8").split("\nschema:")[0]
    assert "CC BY 4.0" in header
    assert "AUTHORED FOR WORKFLOWOS" in header
    assert "NOT the" in header and "official PSF criteria text" in header


def test_eight_domains_match_the_seed(rubric):
    assert [d.code for d in rubric.domains] == ALL_DOMAINS
    assert [d.number for d in rubric.domains] == list(range(1, 9))
    for d in rubric.domains:
        assert (d.name, d.principle) == SEED_DOMAINS[d.code]
        assert len(d.summary) > 80


def test_v1_1_changes_are_noted_where_they_apply(rubric):
    changed = {d.code for d in rubric.domains if d.changes_in_version}
    assert changed == {"PSF-3", "PSF-4", "PSF-6", "PSF-8"}


def test_forty_criteria_coded_psf_1_1_to_8_5(rubric):
    codes = [c.code for c in rubric.all_criteria()]
    assert codes == [f"PSF-{d}.{c}" for d in range(1, 9) for c in range(1, 6)]
    for d in rubric.domains:
        assert len(d.criteria) == 5


def test_every_criterion_is_complete(rubric):
    for c in rubric.all_criteria():
        assert c.title and c.requirement and c.guidance, c.code
        assert len(c.evidence) >= 1, c.code
        assert len(set(c.evidence)) == len(c.evidence), c.code
        assert [lv.score for lv in c.levels] == [0, 1, 2, 3, 4, 5], c.code
        descriptors = [lv.descriptor for lv in c.levels]
        assert len(set(descriptors)) == 6, c.code
        assert c.authored is True
        # Every map-observable criterion names the analysis rules that bear on it.
        if c.map_observable:
            assert c.automated_checks, c.code


def test_map_observable_false_exactly_where_a_map_cannot_show_it(rubric):
    hidden = {c.code for c in rubric.all_criteria() if not c.map_observable}
    assert hidden == NOT_MAP_OBSERVABLE


def test_mappings_use_consistent_string_forms(rubric):
    for c in rubric.all_criteria():
        refs = c.mappings.model_dump()
        assert any(refs.values()), f"{c.code} maps to nothing"
        for field, pattern in MAPPING_FORMS.items():
            for ref in refs[field]:
                assert re.match(pattern, ref), f"{c.code} {field} {ref!r}"


def test_key_mappings(rubric):
    assert "LLM01" in rubric.criterion("PSF-1.1").mappings.owasp_llm_2025
    assert "AML.M0015" in rubric.criterion("PSF-1.1").mappings.mitre_atlas
    assert "LLM05" in rubric.criterion("PSF-2.4").mappings.owasp_llm_2025
    assert "LLM02" in rubric.criterion("PSF-3.1").mappings.owasp_llm_2025
    assert "Art. 10" in rubric.criterion("PSF-3.1").mappings.eu_ai_act
    assert "Art. 14(4)" in rubric.criterion("PSF-6.2").mappings.eu_ai_act


def test_evidence_types_are_the_eleven_known_ones(rubric):
    assert {e.code: e.label for e in rubric.evidence_types} == EVIDENCE_TYPE_LABELS


def test_scopes(rubric):
    scopes = {s.code: s for s in rubric.scopes}
    assert set(scopes) == {"aida", "cpap", "cpaa", "dsa"}
    assert list(scopes["cpap"].domains) == ALL_DOMAINS[:7]
    for code in ("aida", "cpaa", "dsa"):
        assert list(scopes[code].domains) == ALL_DOMAINS
    assert scopes["aida"].label == "AIDA examination"
    assert scopes["cpap"].label == "CPAP portfolio"
    assert scopes["dsa"].label == "Deployment Safety Assessment"


def test_pass_rule_values(rubric):
    rule = rubric.pass_rule
    assert rule.domain_score == "mean_of_criteria"
    assert rule.forbid_zero_domain is True
    assert {code: rule.threshold_for(code) for code in ALL_DOMAINS} == {
        **dict.fromkeys(ALL_DOMAINS[:6], 3.0),
        "PSF-7": 2.0,
        "PSF-8": 2.0,
    }
    assert "3.0" in rule.description and "2.0" in rule.description


def test_pass_rule_decides_the_published_cases(rubric):
    rule = rubric.pass_rule
    passing = {**dict.fromkeys(ALL_DOMAINS[:6], 3.0), "PSF-7": 2.0, "PSF-8": 2.0}
    assert rule.evaluate(passing) == (True, [])
    ok, reasons = rule.evaluate({**passing, "PSF-4": 2.9})
    assert not ok and reasons == ["PSF-4 scored 2.9, below the 3.0 required"]
    ok, reasons = rule.evaluate({**passing, "PSF-8": 1.9})
    assert not ok and reasons == ["PSF-8 scored 1.9, below the 2.0 required"]


def test_stored_data_parses_back_to_the_same_rubric(rubric):
    # The web app keeps to_data() (dates as strings, tuples as lists) and reads it back.
    again = parse_rubric(rubric.to_data())
    assert again == rubric
    assert again.content_hash() == rubric.content_hash()


# -- broken files are refused with the path of each problem --------------------------------


def test_criterion_with_four_levels_is_refused(raw):
    raw["domains"][2]["criteria"][4]["levels"] = raw["domains"][2]["criteria"][4]["levels"][:4]
    assert refusal_lines(raw) == ["domains[2].criteria[4].levels: expected 6 levels (0-5), got 4"]


def test_levels_out_of_order_are_refused(raw):
    raw["domains"][0]["criteria"][1]["levels"].reverse()
    assert refusal_lines(raw) == [
        "domains[0].criteria[1].levels: levels must be scored 0, 1, 2, 3, 4, 5 in order, got [5, 4, 3, 2, 1, 0]"
    ]


def test_missing_field_is_refused(raw):
    del raw["domains"][0]["criteria"][0]["guidance"]
    assert refusal_lines(raw) == ["domains[0].criteria[0].guidance: Field required"]


def test_wrong_type_is_refused_without_coercion(raw):
    raw["domains"][1]["criteria"][2]["map_observable"] = "yes"
    raw["pass_rule"]["thresholds"][0]["min_score"] = "3"
    assert refusal_lines(raw) == [
        "pass_rule.thresholds[0].min_score: Input should be a valid number",
        "domains[1].criteria[2].map_observable: Input should be a valid boolean",
    ]


def test_unknown_key_is_refused(raw):
    raw["domains"][3]["criteria"][0]["colour"] = "red"
    assert refusal_lines(raw) == ["domains[3].criteria[0].colour: Extra inputs are not permitted"]


def test_unknown_evidence_type_is_refused(raw):
    raw["domains"][0]["criteria"][1]["evidence"] = ["screenshot"]
    lines = refusal_lines(raw)
    assert lines[0].startswith("domains[0].criteria[1].evidence[0]: Input should be 'workflow_map'")


def test_criterion_in_the_wrong_domain_is_refused(raw):
    raw["domains"][0]["criteria"][1]["code"] = "PSF-2.9"
    assert refusal_lines(raw) == ["domains[0]: criterion PSF-2.9 does not belong to domain PSF-1"]


def test_scope_naming_an_unknown_domain_is_refused(raw):
    raw["scopes"][1]["domains"].append("PSF-9")
    assert refusal_lines(raw) == ["scope cpap names unknown domain PSF-9"]


def test_bad_date_is_refused(raw):
    raw["published"] = "April 2026"
    lines = refusal_lines(raw)
    assert len(lines) == 1 and lines[0].startswith("published: Input should be a valid date")


def test_not_yaml_and_not_a_mapping_are_refused():
    with pytest.raises(DomainError) as info:
        load_rubric_text("domains: [unclosed")
    assert info.value.lines()[0].startswith("not valid YAML/JSON")
    with pytest.raises(DomainError) as info:
        parse_rubric(["a list"])
    assert info.value.lines() == ["expected a mapping"]


def test_unchanged_copy_still_loads(raw):
    # Guards the tests above: the mutations, not the round trip through yaml, cause the refusals.
    again = load_rubric_text(yaml.safe_dump(copy.deepcopy(raw), sort_keys=False, allow_unicode=True))
    assert again == current_rubric()
