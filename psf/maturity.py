"""Maturity frameworks as data (PAI-8): controls, checkpoints, L0–L3 levels and the posture rule.

PAI-8 is the organisational companion of the PSF. It is stored, versioned and loaded exactly like
the PSF rubric (:mod:`psf.services`, ``manage.py load_rubric``); this module holds its strict
pydantic models, the loader with one field-path line per problem, and the posture rule.

Pure Python (no Django).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from lib.canonical import content_hash

FRAMEWORK_DIR = Path(__file__).with_name("frameworks")
PAI8_PATH = FRAMEWORK_DIR / "pai-8-2026.yaml"
SCHEMA = "workflowos.maturity/v1"

ControlCode = Annotated[str, StringConstraints(pattern=r"^C\d{1,2}$")]
CheckpointCode = Annotated[str, StringConstraints(pattern=r"^C\d{1,2}\.\d{1,2}$")]
PsfDomainCode = Annotated[str, StringConstraints(pattern=r"^PSF-\d{1,2}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
LevelNumber = Annotated[int, Field(ge=0, le=3)]
Proposal = Literal[
    "inventory", "inventory_vendors", "analyses", "simulations", "assessments", "trust_marks", "audit_log"
]
LEVEL_CODES = ("L0", "L1", "L2", "L3")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LevelDefinition(_Strict):
    level: LevelNumber
    code: Literal["L0", "L1", "L2", "L3"]
    name: NonEmpty
    descriptor: NonEmpty

    @model_validator(mode="after")
    def _code_matches(self) -> LevelDefinition:
        if self.code != f"L{self.level}":
            raise ValueError(f"code {self.code} does not match level {self.level}")
        return self


class ControlLevel(_Strict):
    level: LevelNumber
    descriptor: NonEmpty


class Checkpoint(_Strict):
    code: CheckpointCode
    text: NonEmpty
    authored: bool
    proposes: tuple[Proposal, ...] = ()


def _four_levels(levels: tuple[Any, ...]) -> tuple[Any, ...]:
    got = [lv.level for lv in levels]
    if got != [0, 1, 2, 3]:
        raise ValueError(f"levels must be L0, L1, L2, L3 in order, got {', '.join(f'L{n}' for n in got)}")
    return levels


class Control(_Strict):
    code: ControlCode
    number: int = Field(ge=1, le=8)
    name: NonEmpty
    intent: NonEmpty
    psf_domains: tuple[PsfDomainCode, ...] = ()
    levels: tuple[ControlLevel, ...]
    checkpoints: tuple[Checkpoint, ...]

    @field_validator("levels")
    @classmethod
    def _levels(cls, levels: tuple[ControlLevel, ...]) -> tuple[ControlLevel, ...]:
        return _four_levels(levels)

    @field_validator("checkpoints")
    @classmethod
    def _four_checkpoints(cls, checkpoints: tuple[Checkpoint, ...]) -> tuple[Checkpoint, ...]:
        if len(checkpoints) != 4:
            raise ValueError(f"expected 4 checkpoints, got {len(checkpoints)}")
        return checkpoints

    @model_validator(mode="after")
    def _belong(self) -> Control:
        if self.code != f"C{self.number}":
            raise ValueError(f"code {self.code} does not match number {self.number}")
        expected = [f"{self.code}.{i}" for i in range(1, 5)]
        got = [c.code for c in self.checkpoints]
        if got != expected:
            raise ValueError(f"checkpoints must be {', '.join(expected)} in order, got {', '.join(got)}")
        return self


class Rating(_Strict):
    level: LevelNumber
    label: NonEmpty


class PostureRule(_Strict):
    """How a control's level follows from its checkpoints and the posture from the controls."""

    control_level: Literal["minimum_of_checkpoints", "floor_of_mean_of_checkpoints"]
    posture: Literal["minimum_of_controls", "floor_of_mean_of_controls"]
    show_mean: bool = True
    authored: bool
    description: NonEmpty
    ratings: tuple[Rating, ...]

    @field_validator("ratings")
    @classmethod
    def _ratings(cls, ratings: tuple[Rating, ...]) -> tuple[Rating, ...]:
        return _four_levels(ratings)


class Crosswalk(_Strict):
    authored: bool
    note: NonEmpty


class MaturityFramework(_Strict):
    """One version of a maturity framework (PAI-8)."""

    schema_: Literal["workflowos.maturity/v1"] = Field(alias="schema")
    framework: NonEmpty
    version: NonEmpty
    title: NonEmpty
    published: date
    publisher: NonEmpty
    licence: NonEmpty
    licence_url: NonEmpty
    attribution: NonEmpty
    citation: NonEmpty
    authored_note: NonEmpty
    levels: tuple[LevelDefinition, ...]
    posture_rule: PostureRule
    crosswalk: Crosswalk
    controls: tuple[Control, ...]

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @field_validator("levels")
    @classmethod
    def _levels(cls, levels: tuple[LevelDefinition, ...]) -> tuple[LevelDefinition, ...]:
        return _four_levels(levels)

    @field_validator("controls")
    @classmethod
    def _eight_controls(cls, controls: tuple[Control, ...]) -> tuple[Control, ...]:
        got = [c.code for c in controls]
        expected = [f"C{i}" for i in range(1, 9)]
        if got != expected:
            raise ValueError(
                f"controls must be {', '.join(expected)} in order, got {', '.join(got) or 'none'}"
            )
        return controls

    # -- convenience ----------------------------------------------------------------------
    @property
    def key(self) -> str:
        return f"{self.framework} v{self.version}"

    def control(self, code: str) -> Control | None:
        return next((c for c in self.controls if c.code == code), None)

    def checkpoint(self, code: str) -> Checkpoint | None:
        return next((p for c in self.controls for p in c.checkpoints if p.code == code), None)

    def all_checkpoints(self) -> list[Checkpoint]:
        return [p for c in self.controls for p in c.checkpoints]

    def level_name(self, level: int) -> str:
        return self.levels[level].name

    def rating_label(self, level: int) -> str:
        return self.posture_rule.ratings[level].label

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def content_hash(self) -> str:
        return content_hash(self.to_data())

    def posture(self, checkpoint_levels: Mapping[str, int | None]) -> Posture:
        """The posture of a set of checkpoint levels, by this framework's rule."""
        return evaluate_posture(self, checkpoint_levels)


@dataclass(frozen=True)
class Posture:
    """Levels per control (``None`` while any checkpoint is unanswered) and the overall rating."""

    controls: dict[str, int | None]
    level: int | None
    mean: float | None
    complete: bool


def _combine(values: list[int], how: str) -> int:
    if how.startswith("minimum"):
        return min(values)
    return int(sum(values) / len(values))  # floor of the mean (levels are ≥ 0)


def evaluate_posture(framework: MaturityFramework, checkpoint_levels: Mapping[str, int | None]) -> Posture:
    """Apply the posture rule. A control with an unanswered checkpoint has no level yet; the
    posture needs every control. The mean is over the controls that have a level."""
    rule = framework.posture_rule
    controls: dict[str, int | None] = {}
    for control in framework.controls:
        levels = [checkpoint_levels.get(p.code) for p in control.checkpoints]
        for value in levels:
            if value is not None and not 0 <= value <= 3:
                raise ValueError(f"level {value} is outside L0–L3")
        known = [v for v in levels if v is not None]
        controls[control.code] = _combine(known, rule.control_level) if len(known) == len(levels) else None
    scored = [v for v in controls.values() if v is not None]
    complete = len(scored) == len(controls)
    level = _combine(scored, rule.posture) if complete else None
    mean = round(sum(scored) / len(scored), 2) if scored else None
    return Posture(controls=controls, level=level, mean=mean, complete=complete)


# -- loading ---------------------------------------------------------------------------------


def parse_maturity(data: Any) -> MaturityFramework:
    """Validate parsed framework data; raise DomainError (status 2) with one line per problem."""
    from psf.rubric import validate_framework_data

    return validate_framework_data(MaturityFramework, data, kind="framework", status=2)


_PAI8: MaturityFramework | None = None


def bundled_pai8() -> MaturityFramework:
    """The bundled PAI-8 file, parsed once per process."""
    global _PAI8
    if _PAI8 is None:
        _PAI8 = parse_maturity(yaml.safe_load(PAI8_PATH.read_text(encoding="utf-8")))
    return _PAI8
