"""The free PSF knowledge check: a question bank as data, a seeded draw and grading. Pure Python."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

BANK_PATH = Path(__file__).with_name("data") / "knowledge-check-v1.yaml"


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]
    domain: str
    question: str
    options: tuple[str, ...] = Field(min_length=2, max_length=6)
    answer: int
    explanation: str

    @model_validator(mode="after")
    def _answer_in_range(self) -> Question:
        if not 0 <= self.answer < len(self.options):
            raise ValueError(f"answer {self.answer} is not one of the {len(self.options)} options")
        return self


class Bank(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: str = Field(alias="schema")
    version: str
    questions_per_attempt: int
    pass_mark: int
    questions: tuple[Question, ...]


@cache
def load_bank(path: Path = BANK_PATH) -> Bank:
    return Bank.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def draw(seed: int, bank: Bank | None = None) -> list[Question]:
    """The questions of one attempt: at least two per domain, the rest at random, in a stable
    order for the seed (the seed travels with the form, so grading sees the same questions)."""
    bank = bank or load_bank()
    rng = random.Random(seed)
    by_domain: dict[str, list[Question]] = defaultdict(list)
    for q in bank.questions:
        by_domain[q.domain].append(q)
    chosen: list[Question] = []
    for domain in sorted(by_domain):
        chosen.extend(rng.sample(by_domain[domain], min(2, len(by_domain[domain]))))
    rest = [q for q in bank.questions if q not in chosen]
    chosen.extend(rng.sample(rest, max(0, min(len(rest), bank.questions_per_attempt - len(chosen)))))
    chosen.sort(key=lambda q: (q.domain, q.id))
    return chosen


@dataclass(frozen=True)
class Graded:
    score: int
    total: int
    passed: bool
    per_domain: dict[str, tuple[int, int]]
    answers: list[tuple[Question, int | None, bool]]


def grade(questions: list[Question], answers: dict[str, int | None], pass_mark: int) -> Graded:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    for q in questions:
        given = answers.get(q.id)
        ok = given == q.answer
        per[q.domain][1] += 1
        per[q.domain][0] += int(ok)
        rows.append((q, given, ok))
    score = sum(1 for _, _, ok in rows if ok)
    return Graded(
        score, len(questions), score >= pass_mark, {d: (v[0], v[1]) for d, v in sorted(per.items())}, rows
    )
