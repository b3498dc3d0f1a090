import copy

import pytest
import yaml

from lib.errors import DomainError
from simulator.catalogue import CONTROLS_PATH, SCENARIOS_PATH, build_catalogue, load_simulation_catalogue
from studio.catalogue import load_catalogue

EXPECTED = {
    "benign",
    "prompt_injection_direct",
    "prompt_injection_indirect",
    "injection_obfuscated",
    "jailbreak_tool_misuse",
    "pii_in_input",
    "sensitive_output_leak",
    "system_prompt_extraction",
    "malformed_output",
    "ungrounded_output",
    "toxic_output",
    "vendor_outage",
    "latency_spike",
    "rate_limited_429",
    "silent_model_change",
    "high_stakes_decision",
    "trace_sink_down",
}


def raw():
    return yaml.safe_load(SCENARIOS_PATH.read_text()), yaml.safe_load(CONTROLS_PATH.read_text())


def test_catalogue_has_the_seventeen_scenarios_of_the_issue():
    cat = load_simulation_catalogue()
    assert set(cat.scenarios.ids()) == EXPECTED
    assert len(cat.scenarios.ids()) == 17
    assert cat.version == "1"


def test_every_scenario_is_complete_and_anchored():
    cat = load_simulation_catalogue()
    control_types = {t.type for t in load_catalogue().of_category("control")}
    kinds = set()
    for s in cat.scenarios.scenarios:
        kinds.add(s.kind)
        assert s.label and s.description
        assert s.enters in {"input", "retrieval", "model_output", "vendor", "tool", "telemetry"}
        assert set(s.controls) <= control_types
        assert s.anchors
        if s.kind != "benign":
            assert s.domains and s.controls and s.severity != "none"
    assert kinds == {"threat", "fault", "benign", "decision"}
    sources = {a.source for s in cat.scenarios.scenarios for a in s.anchors}
    assert {"promptfoo", "garak", "toxiproxy", "chaos-mesh"} <= sources


def test_every_detect_scenario_control_has_a_documented_rate():
    cat = load_simulation_catalogue()
    for s in cat.scenarios.scenarios:
        if s.mechanism != "detect":
            continue
        for c in s.controls:
            assert 0 < cat.detection_rate(c, s.id, {}) <= 1, (s.id, c)


def test_config_rates_apply_when_the_config_matches():
    cat = load_simulation_catalogue()
    plain = cat.detection_rate("output_validator", "ungrounded_output", {})
    semantic = cat.detection_rate("output_validator", "ungrounded_output", {"semantic_checks": True})
    assert semantic > plain


def test_unknown_control_type_in_a_scenario_is_refused_with_a_path():
    scenarios, controls = raw()
    scenarios = copy.deepcopy(scenarios)
    scenarios["scenarios"][1]["controls"].append("firewall")
    with pytest.raises(DomainError) as exc:
        build_catalogue(scenarios, controls)
    assert any(line.startswith("scenarios[1].controls") for line in exc.value.lines())


def test_rate_above_one_is_refused():
    scenarios, controls = raw()
    controls = copy.deepcopy(controls)
    controls["controls"]["injection_filter"]["detection"]["prompt_injection_direct"] = 1.5
    with pytest.raises(DomainError) as exc:
        build_catalogue(scenarios, controls)
    assert "controls.injection_filter.detection.prompt_injection_direct" in exc.value.lines()[0]


def test_rate_for_a_scenario_that_does_not_list_the_control_is_refused():
    scenarios, controls = raw()
    controls = copy.deepcopy(controls)
    controls["controls"]["content_filter"]["detection"]["malformed_output"] = 0.5
    with pytest.raises(DomainError) as exc:
        build_catalogue(scenarios, controls)
    assert "does not list content_filter" in " ".join(exc.value.lines())


def test_unknown_field_is_refused():
    scenarios, controls = raw()
    scenarios = copy.deepcopy(scenarios)
    scenarios["scenarios"][0]["colour"] = "blue"
    with pytest.raises(DomainError):
        build_catalogue(scenarios, controls)


def test_catalogue_hash_is_stable_and_content_sensitive():
    scenarios, controls = raw()
    a = build_catalogue(scenarios, controls).content_hash()
    assert a == load_simulation_catalogue().content_hash()
    changed = copy.deepcopy(scenarios)
    changed["scenarios"][0]["weight"] = 0.5
    assert build_catalogue(changed, controls).content_hash() != a
