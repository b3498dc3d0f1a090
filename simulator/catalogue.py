"""The simulator's data: the scenario catalogue and the default behaviour of controls, vendors,
people and faults. Both are versioned YAML files beside this module, validated by strict pydantic
models on load and cross-checked against the node-type catalogue of the workflow format.

Pure Python (no Django).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from lib.canonical import content_hash
from lib.errors import DomainError, ErrorItem, pydantic_path
from studio.catalogue import load_catalogue

DATA_DIR = Path(__file__).with_name("data")
SCENARIOS_PATH = DATA_DIR / "scenarios-v1.yaml"
CONTROLS_PATH = DATA_DIR / "controls-v1.yaml"

DOMAINS = tuple(f"PSF-{i}" for i in range(1, 9))
Domain = Literal["PSF-1", "PSF-2", "PSF-3", "PSF-4", "PSF-5", "PSF-6", "PSF-7", "PSF-8"]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Millis = Annotated[float, Field(ge=0.0)]
ScenarioId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
Kind = Literal["threat", "fault", "benign", "decision"]
Mechanism = Literal["benign", "detect", "outage", "latency_spike", "rate_limit"]
Severity = Literal["critical", "high", "medium", "low", "none"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "none")
VENDOR_MECHANISMS = ("outage", "latency_spike", "rate_limit")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- scenarios ----------------------------------------------------------------------------------


class Anchor(_Strict):
    """The public test a scenario mirrors."""

    source: Literal[
        "promptfoo",
        "garak",
        "toxiproxy",
        "chaos-mesh",
        "litmuschaos",
        "owasp-llm-2025",
        "principles-of-chaos",
    ]
    kind: Literal["plugin", "strategy", "probe", "assertion", "fault", "risk", "principle"]
    ref: Annotated[str, StringConstraints(min_length=1, max_length=120)]


class Scenario(_Strict):
    id: ScenarioId
    label: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    kind: Kind
    mechanism: Mechanism
    weight: Annotated[float, Field(ge=0.0)]
    enters: str
    harm: str | None = None
    harm_fallback: str | None = None
    reach: Literal["path", "workflow"] = "path"
    requires_facts: dict[str, str | bool] = Field(default_factory=dict)
    domains: list[Domain]
    controls: list[str]
    severity: Severity
    anchors: list[Anchor] = Field(min_length=1)

    @property
    def primary_domain(self) -> str | None:
        return self.domains[0] if self.domains else None

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.mechanism == "benign":
            if self.kind != "benign" or self.controls or self.domains:
                raise ValueError("a benign scenario has kind benign, no controls and no domains")
        else:
            if not self.domains:
                raise ValueError("a non-benign scenario names the PSF domains it tests")
            if self.severity == "none":
                raise ValueError("a non-benign scenario has a severity")
        if self.mechanism == "detect" and self.reach == "path" and not self.harm:
            raise ValueError("a detect scenario on a path names where it does harm (harm)")
        return self


class ScenarioCatalogue(_Strict):
    schema_: Literal["workflowos.simulator-scenarios/v1"] = Field(alias="schema")
    version: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    entry_points: dict[str, list[str]]
    harm_points: dict[str, list[str]]
    scenarios: list[Scenario] = Field(min_length=1)

    def get(self, scenario_id: str) -> Scenario | None:
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        return None

    def ids(self) -> list[str]:
        return [s.id for s in self.scenarios]


# --- behaviour of controls, vendors, people, faults ---------------------------------------------


class ConfigRate(_Strict):
    field: str
    equals: str | bool | float
    detection: dict[str, Rate]


class ControlBehaviour(_Strict):
    scope: Literal["path", "attached", "workflow"]
    blocking: bool
    human: bool = False
    review_share: Rate = 0.0
    review_minutes: Millis = 0.0
    detection_requires_review: bool = True
    false_positive_rate: Rate = 0.0
    added_latency_ms: Millis = 0.0
    default_detection: Rate | None = None
    detection: dict[str, Rate] = Field(default_factory=dict)
    config_rates: list[ConfigRate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _blocking_on_path(self) -> ControlBehaviour:
        if self.blocking and self.scope != "path":
            raise ValueError("only a control on the request's path can block it (scope: path)")
        return self


class ConfigControl(_Strict):
    node_types: list[str]
    field: str
    when: Literal["set", "true"]
    detection: dict[str, Rate]


class VendorProfile(_Strict):
    availability: Rate
    latency_median_ms: Annotated[float, Field(gt=0.0)]
    latency_p99_ms: Annotated[float, Field(gt=0.0)]

    @model_validator(mode="after")
    def _p99_above_median(self) -> VendorProfile:
        if self.latency_p99_ms < self.latency_median_ms:
            raise ValueError("latency_p99_ms must be at least latency_median_ms")
        return self


class LatencyProfile(_Strict):
    latency_median_ms: Annotated[float, Field(gt=0.0)]
    latency_p99_ms: Annotated[float, Field(gt=0.0)]


class HumanDefaults(_Strict):
    review_p99_factor: Annotated[float, Field(ge=1.0)]


class FaultDefaults(_Strict):
    outage_detect_ms: Millis
    spike_median_ms: Annotated[float, Field(gt=0.0)]
    spike_p99_ms: Annotated[float, Field(gt=0.0)]
    default_breaker_timeout_ms: Annotated[float, Field(gt=0.0)]
    spike_retry_success: Rate
    rate_limit_error_ms: Millis
    queue_median_ms: Annotated[float, Field(gt=0.0)]
    queue_p99_ms: Annotated[float, Field(gt=0.0)]
    rate_limit_retry_success: Rate
    rate_limit_backoff_ms: Millis


class ControlsCatalogue(_Strict):
    schema_: Literal["workflowos.simulator-controls/v1"] = Field(alias="schema")
    version: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    controls: dict[str, ControlBehaviour]
    config_controls: list[ConfigControl] = Field(default_factory=list)
    vendors: dict[str, VendorProfile]
    processing: dict[str, LatencyProfile] = Field(default_factory=dict)
    human: HumanDefaults
    faults: FaultDefaults

    def vendor(self, name: str) -> VendorProfile:
        return self.vendors.get(name.strip().lower(), self.vendors["default"])


# --- the pair --------------------------------------------------------------------------------------


class SimulationCatalogue(_Strict):
    """What a run is played against: the scenarios and the default behaviours."""

    scenarios: ScenarioCatalogue
    behaviour: ControlsCatalogue

    @property
    def version(self) -> str:
        return self.scenarios.version

    def content_hash(self) -> str:
        return content_hash(
            {
                "scenarios": self.scenarios.model_dump(mode="json", by_alias=True),
                "behaviour": self.behaviour.model_dump(mode="json", by_alias=True),
            }
        )

    def detection_rate(self, control_type: str, scenario_id: str, config: dict[str, Any]) -> float:
        """The documented default catch rate of a control type for a scenario, given its config."""
        behaviour = self.behaviour.controls[control_type]
        rate = behaviour.detection.get(scenario_id, behaviour.default_detection or 0.0)
        for rule in behaviour.config_rates:
            if config.get(rule.field) == rule.equals and scenario_id in rule.detection:
                rate = rule.detection[scenario_id]
        return rate


def _cross_check(cat: SimulationCatalogue) -> list[ErrorItem]:
    node_types = load_catalogue()
    type_names = set(node_types.names())
    control_types = {t.type for t in node_types.of_category("control")}
    scen = cat.scenarios
    beh = cat.behaviour
    errors: list[ErrorItem] = []
    ids = scen.ids()
    if len(set(ids)) != len(ids):
        errors.append(ErrorItem("scenarios", "duplicate scenario ids"))
    for key, table in (("entry_points", scen.entry_points), ("harm_points", scen.harm_points)):
        for name, types in table.items():
            for t in types:
                if t not in type_names:
                    errors.append(ErrorItem(f"{key}.{name}", f"unknown node type {t!r}"))
    if sum(s.weight for s in scen.scenarios) <= 0:
        errors.append(ErrorItem("scenarios", "the weights add up to zero"))
    for i, s in enumerate(scen.scenarios):
        where = f"scenarios[{i}]"
        if s.enters not in scen.entry_points:
            errors.append(ErrorItem(f"{where}.enters", f"unknown entry point {s.enters!r}"))
        for key, value in (("harm", s.harm), ("harm_fallback", s.harm_fallback)):
            if value is not None and value not in scen.harm_points:
                errors.append(ErrorItem(f"{where}.{key}", f"unknown harm point {value!r}"))
        for fact in s.requires_facts:
            if fact not in ("stakes", "audience", "personal_data", "regulated"):
                errors.append(ErrorItem(f"{where}.requires_facts", f"unknown workflow fact {fact!r}"))
        for c in s.controls:
            if c not in control_types:
                errors.append(ErrorItem(f"{where}.controls", f"{c!r} is not a control node type"))
            elif c not in beh.controls:
                errors.append(ErrorItem(f"{where}.controls", f"no behaviour for {c!r} in the controls file"))
            elif s.mechanism == "detect":
                b = beh.controls[c]
                if s.id not in b.detection and b.default_detection is None:
                    errors.append(ErrorItem(f"{where}.controls", f"{c} has no catch rate for {s.id}"))
    for c, b in beh.controls.items():
        if c not in control_types:
            errors.append(ErrorItem(f"controls.{c}", "not a control node type"))
            continue
        named = set(b.detection) | {sid for rule in b.config_rates for sid in rule.detection}
        for sid in sorted(named):
            named_scenario = scen.get(sid)
            if named_scenario is None:
                errors.append(ErrorItem(f"controls.{c}.detection", f"unknown scenario {sid!r}"))
            elif c not in named_scenario.controls:
                errors.append(
                    ErrorItem(
                        f"controls.{c}.detection", f"scenario {sid} does not list {c} among its controls"
                    )
                )
        if b.human and b.review_minutes <= 0:
            errors.append(ErrorItem(f"controls.{c}.review_minutes", "a human control takes time"))
    for j, cc in enumerate(beh.config_controls):
        for t in cc.node_types:
            nt = node_types.get(t)
            if nt is None or nt.field(cc.field) is None:
                errors.append(ErrorItem(f"config_controls[{j}]", f"{t} has no config field {cc.field!r}"))
        for sid in cc.detection:
            if scen.get(sid) is None:
                errors.append(ErrorItem(f"config_controls[{j}].detection", f"unknown scenario {sid!r}"))
    if "default" not in beh.vendors:
        errors.append(ErrorItem("vendors", "a `default` vendor profile is required"))
    for name in beh.processing:
        if name not in type_names:
            errors.append(ErrorItem(f"processing.{name}", "unknown node type"))
    return errors


def _read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def build_catalogue(scenarios: Any, behaviour: Any) -> SimulationCatalogue:
    """Validate parsed scenario and behaviour data; raise DomainError with paths on any problem."""
    try:
        cat = SimulationCatalogue(
            scenarios=ScenarioCatalogue.model_validate(scenarios),
            behaviour=ControlsCatalogue.model_validate(behaviour),
        )
    except ValidationError as exc:
        items = [ErrorItem(pydantic_path(tuple(e["loc"])), e["msg"]) for e in exc.errors(include_url=False)]
        raise DomainError("The simulation catalogue is not valid.", items) from None
    errors = _cross_check(cat)
    if errors:
        raise DomainError("The simulation catalogue is not valid.", errors)
    return cat


@cache
def load_simulation_catalogue(
    scenarios_path: Path = SCENARIOS_PATH, controls_path: Path = CONTROLS_PATH
) -> SimulationCatalogue:
    """Load, validate and cross-check the scenario catalogue and the default behaviours (cached)."""
    return build_catalogue(_read_yaml(scenarios_path), _read_yaml(controls_path))
