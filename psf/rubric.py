"""The PSF rubric as data: pydantic models (strict) for a rubric file, loading with one clear
line per problem, and the pass rule.

Pure Python (no Django): the web app stores loaded versions, the analysis engine and the CLI
read the same models straight from the YAML file.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from lib.canonical import content_hash
from lib.errors import DomainError, ErrorItem, pydantic_path

M = TypeVar("M", bound=BaseModel)

RUBRIC_DIR = Path(__file__).with_name("rubrics")
CURRENT_RUBRIC_PATH = RUBRIC_DIR / "psf-v1.1.yaml"

EvidenceType = Literal[
    "workflow_map",
    "validation_code",
    "monitoring_screenshot",
    "log_sample",
    "access_control_doc",
    "retention_evidence",
    "incident_runbook",
    "post_incident_review",
    "review_queue_doc",
    "contract_dpa",
    "test_result",
]

EVIDENCE_TYPE_LABELS: dict[str, str] = {
    "workflow_map": "Workflow map",
    "validation_code": "Validation code or config",
    "monitoring_screenshot": "Monitoring screenshot (PII redacted)",
    "log_sample": "Log sample",
    "access_control_doc": "Access-control / key documentation",
    "retention_evidence": "Retention or deletion evidence",
    "incident_runbook": "Incident runbook",
    "post_incident_review": "Post-incident review",
    "review_queue_doc": "Review-queue documentation",
    "contract_dpa": "Contract / DPA",
    "test_result": "Test result",
}

DomainCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+-\d+$")]
CriterionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]+-\d+\.\d+$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Level(_Strict):
    score: int = Field(ge=0, le=5)
    descriptor: NonEmpty


class Mappings(_Strict):
    """References into public frameworks, where one fits (empty lists are allowed)."""

    eu_ai_act: tuple[str, ...] = ()
    nist_ai_rmf: tuple[str, ...] = ()
    iso_42001: tuple[str, ...] = ()
    owasp_llm_2025: tuple[str, ...] = ()
    mitre_atlas: tuple[str, ...] = ()


class Criterion(_Strict):
    code: CriterionCode
    title: NonEmpty
    requirement: NonEmpty
    guidance: NonEmpty
    evidence: tuple[EvidenceType, ...] = Field(min_length=1)
    levels: tuple[Level, ...]
    # Can a workflow map show this criterion? If not, analysis reports "needs evidence".
    map_observable: bool
    # Ids of the automated analysis rules that bear on this criterion (analysis/rules/*.yaml).
    automated_checks: tuple[str, ...] = ()
    mappings: Mappings = Field(default_factory=Mappings)
    authored: bool = True  # written for WorkflowOS from public facts, not the official text

    # A field validator (not a model validator) so the error path names ``...criteria[4].levels``.
    @field_validator("levels")
    @classmethod
    def _six_levels(cls, levels: tuple[Level, ...]) -> tuple[Level, ...]:
        scores = [lv.score for lv in levels]
        if len(scores) != 6:
            raise ValueError(f"expected 6 levels (0-5), got {len(scores)}")
        if scores != [0, 1, 2, 3, 4, 5]:
            raise ValueError(f"levels must be scored 0, 1, 2, 3, 4, 5 in order, got {scores}")
        return levels


class Domain(_Strict):
    code: DomainCode
    number: int = Field(ge=1)
    name: NonEmpty
    principle: NonEmpty
    summary: NonEmpty
    changes_in_version: str = ""
    criteria: tuple[Criterion, ...]

    @model_validator(mode="after")
    def _criteria_belong(self) -> Domain:
        for c in self.criteria:
            if not c.code.startswith(self.code + "."):
                raise ValueError(f"criterion {c.code} does not belong to domain {self.code}")
        return self


class Threshold(_Strict):
    domains: tuple[DomainCode, ...] = Field(min_length=1)
    min_score: float = Field(ge=0, le=5)


class PassRule(_Strict):
    """How domain scores are derived and what passes.

    A domain score is the mean of its criterion scores (0-5), rounded to one decimal.
    Pass: every threshold met and, when ``forbid_zero_domain``, no domain scored 0.
    """

    score_min: int = 0
    score_max: int = 5
    domain_score: Literal["mean_of_criteria"] = "mean_of_criteria"
    thresholds: tuple[Threshold, ...] = Field(min_length=1)
    forbid_zero_domain: bool = True
    description: NonEmpty

    def threshold_for(self, domain_code: str) -> float:
        for t in self.thresholds:
            if domain_code in t.domains:
                return t.min_score
        return 0.0

    def evaluate(self, domain_scores: dict[str, float]) -> tuple[bool, list[str]]:
        """Return (passed, reasons) for a mapping of domain code → score."""
        reasons: list[str] = []
        for t in self.thresholds:
            for code in t.domains:
                score = domain_scores.get(code)
                if score is None:
                    reasons.append(f"{code} has no score")
                elif score < t.min_score:
                    reasons.append(f"{code} scored {score:.1f}, below the {t.min_score:.1f} required")
        if self.forbid_zero_domain:
            reasons.extend(f"{code} scored 0" for code, s in sorted(domain_scores.items()) if s == 0)
        return (not reasons, reasons)


class Scope(_Strict):
    code: NonEmpty
    label: NonEmpty
    domains: tuple[DomainCode, ...]


class EvidenceTypeInfo(_Strict):
    code: EvidenceType
    label: NonEmpty


class Rubric(_Strict):
    """One version of one framework (e.g. PSF v1.1)."""

    schema_: Literal["workflowos.rubric/v1"] = Field(alias="schema")
    framework: NonEmpty  # "PSF"
    version: NonEmpty  # "1.1"
    title: NonEmpty
    published: date
    licence: NonEmpty
    licence_url: NonEmpty
    publisher: NonEmpty
    attribution: NonEmpty
    citation: NonEmpty
    authored_note: NonEmpty
    evidence_types: tuple[EvidenceTypeInfo, ...]
    scopes: tuple[Scope, ...] = ()
    pass_rule: PassRule
    domains: tuple[Domain, ...] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        codes = [d.code for d in self.domains]
        if len(set(codes)) != len(codes):
            raise ValueError("domain codes must be unique")
        crit = [c.code for d in self.domains for c in d.criteria]
        if len(set(crit)) != len(crit):
            raise ValueError("criterion codes must be unique")
        known = set(codes)
        for t in self.pass_rule.thresholds:
            for code in t.domains:
                if code not in known:
                    raise ValueError(f"pass_rule names unknown domain {code}")
        for s in self.scopes:
            for code in s.domains:
                if code not in known:
                    raise ValueError(f"scope {s.code} names unknown domain {code}")
        return self

    # -- convenience ----------------------------------------------------------------------
    @property
    def key(self) -> str:
        return f"{self.framework} v{self.version}"

    def domain(self, code: str) -> Domain | None:
        return next((d for d in self.domains if d.code == code), None)

    def criterion(self, code: str) -> Criterion | None:
        return next((c for d in self.domains for c in d.criteria if c.code == code), None)

    def all_criteria(self) -> list[Criterion]:
        return [c for d in self.domains for c in d.criteria]

    def domains_label(self) -> str:
        """``PSF-1..8`` for the usual contiguous set of domains."""
        nums = sorted(d.number for d in self.domains)
        if nums == list(range(nums[0], nums[-1] + 1)):
            return f"{self.framework}-{nums[0]}..{nums[-1]}"
        return ", ".join(d.code for d in self.domains)

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def content_hash(self) -> str:
        return content_hash(self.to_data())


def _json_scalar(value: Any) -> str:
    # YAML turns an unquoted 2026-04-01 into a date; JSON has no date type.
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"unsupported value {value!r}")


def validate_framework_data(model: type[M], data: Any, *, kind: str = "rubric", status: int = 400) -> M:
    """Validate parsed framework data (a rubric, PAI-8) strictly against ``model``; raise
    DomainError with one line per problem and its field path."""
    if not isinstance(data, dict):
        raise DomainError(
            f"A {kind} file must hold a mapping at the top level.",
            [ErrorItem("", "expected a mapping")],
            status=2,
        )
    try:
        text = json.dumps(data, default=_json_scalar)
    except (TypeError, ValueError) as exc:
        raise DomainError(
            f"The {kind} file is not valid.",
            [ErrorItem("", f"not plain YAML/JSON data: {exc}")],
            status=status,
        ) from None
    try:
        # Validate as JSON: strict mode then takes arrays for tuples and ISO strings for dates, which
        # is what a YAML/JSON file (and ``to_data()`` stored by the web app) naturally holds, while
        # still refusing coercions such as "3" for a number.
        return model.model_validate_json(text)
    except ValidationError as exc:
        items = [
            ErrorItem(pydantic_path(tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise DomainError(f"The {kind} file is not valid.", items, status=status) from None


def parse_rubric(data: Any) -> Rubric:
    """Validate parsed rubric data; raise DomainError with one line per problem and its path."""
    return validate_framework_data(Rubric, data, kind="rubric")


def load_rubric_text(text: str) -> Rubric:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DomainError(
            "The rubric file is not valid YAML.",
            [ErrorItem("", f"not valid YAML/JSON: {exc}".replace("\n", " "))],
        ) from None
    return parse_rubric(data)


def load_rubric_file(path: Path | str) -> Rubric:
    """Load and validate a rubric file (YAML or JSON; JSON is YAML)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainError(f"Cannot read {p}: {exc}", [ErrorItem("", f"cannot read file: {exc}")]) from None
    return load_rubric_text(text)


_CURRENT: Rubric | None = None


def current_rubric() -> Rubric:
    """The bundled PSF v1.1 rubric, parsed once per process."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = load_rubric_file(CURRENT_RUBRIC_PATH)
    return _CURRENT
