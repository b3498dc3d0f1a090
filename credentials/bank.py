"""The AIDA question bank as data: strict pydantic models, loading with field-path errors, the
seeded weighted draw, per-attempt option shuffling and grading. Pure Python (no Django).

The bank file (``credentials/data/aida-bank-v1.yaml``) also holds the exam rules: questions per
attempt, the per-domain weights of the draw, the pass mark, the wait between attempts and how
long a credential is valid.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

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

from lib.errors import DomainError, ErrorItem, pydantic_path

BANK_PATH = Path(__file__).with_name("data") / "aida-bank-v1.yaml"
OPTIONS_PER_QUESTION = 4
# Each original position must hold the correct option in this share of the questions.
POSITION_SHARE = (0.20, 0.30)

NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
DomainCode = Annotated[str, StringConstraints(pattern=r"^PSF-[1-8]$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Question(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{2,20}$")]
    domain: DomainCode
    stem: NonEmpty
    options: tuple[NonEmpty, ...]
    answer: int = Field(ge=0, le=OPTIONS_PER_QUESTION - 1)
    explanation: NonEmpty
    quotes: str = ""  # the PSF criterion quoted (CC BY 4.0), if any

    @field_validator("options")
    @classmethod
    def _four_distinct(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        if len(options) != OPTIONS_PER_QUESTION:
            raise ValueError(f"expected {OPTIONS_PER_QUESTION} options, got {len(options)}")
        if len(set(options)) != len(options):
            raise ValueError("options must be distinct")
        return options


class Exam(_Strict):
    questions_per_attempt: int = Field(ge=1)
    pass_mark: int = Field(ge=1)
    wait_hours: int = Field(ge=0)
    validity_years: int = Field(ge=1, le=10)
    domain_weights: dict[DomainCode, int]

    @model_validator(mode="after")
    def _weights_add_up(self) -> Exam:
        if any(w < 0 for w in self.domain_weights.values()):
            raise ValueError("domain weights must not be negative")
        total = sum(self.domain_weights.values())
        if total > self.questions_per_attempt:
            raise ValueError(
                f"domain weights add up to {total}, more than questions_per_attempt ({self.questions_per_attempt})"
            )
        if self.pass_mark > self.questions_per_attempt:
            raise ValueError("pass_mark is higher than questions_per_attempt")
        return self


class Bank(_Strict):
    schema_: Literal["workflowos.aida-bank/v1"] = Field(alias="schema")
    version: NonEmpty
    title: NonEmpty
    credential: Literal["AIDA"]
    psf_version: NonEmpty
    attribution: NonEmpty
    exam: Exam
    questions: tuple[Question, ...] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @field_validator("questions")
    @classmethod
    def _balanced(cls, questions: tuple[Question, ...]) -> tuple[Question, ...]:
        ids = [q.id for q in questions]
        dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
        if dupes:
            raise ValueError(f"question ids must be unique: {', '.join(dupes)}")
        low, high = POSITION_SHARE
        counts = Counter(q.answer for q in questions)
        for position in range(OPTIONS_PER_QUESTION):
            share = counts.get(position, 0) / len(questions)
            if not low <= share <= high:
                raise ValueError(
                    f"the correct option is at position {position} in {share:.0%} of the questions; "
                    f"each position must hold it in {low:.0%}-{high:.0%}"
                )
        return questions

    @model_validator(mode="after")
    def _enough_per_domain(self) -> Bank:
        per = Counter(q.domain for q in self.questions)
        for domain, weight in self.exam.domain_weights.items():
            if per.get(domain, 0) < max(weight, 5):
                raise ValueError(
                    f"{domain} has {per.get(domain, 0)} questions; at least {max(weight, 5)} are needed"
                )
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def parse_bank(data: Any) -> Bank:
    """Validate parsed bank data; ``DomainError`` with one item per problem, named by its path
    (``questions[3].options``)."""
    if not isinstance(data, dict):
        raise DomainError("A question bank must hold a mapping.", [ErrorItem("", "expected a mapping")])
    try:
        return Bank.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        items = [
            ErrorItem(pydantic_path(tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise DomainError("The question bank is not valid.", items) from None
    except (TypeError, ValueError) as exc:
        raise DomainError("The question bank is not valid.", [ErrorItem("", str(exc))]) from None


def load_bank_text(text: str) -> Bank:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DomainError(
            "The question bank is not valid YAML.", [ErrorItem("", str(exc).replace("\n", " "))]
        ) from None
    return parse_bank(data)


@cache
def load_bank(path: Path = BANK_PATH) -> Bank:
    """The bank at ``path`` (default: the current AIDA bank), validated once per process."""
    return load_bank_text(path.read_text(encoding="utf-8"))


# --- draw, shuffle, grade -----------------------------------------------------------------------


def draw(bank: Bank, seed: int) -> list[Question]:
    """The questions of one attempt: ``domain_weights[d]`` questions of each domain, then the
    rest of ``questions_per_attempt`` from the whole remaining bank, all chosen at random by
    ``seed`` (same seed, same questions in the same order), grouped by domain."""
    rng = random.Random(seed)
    by_domain: dict[str, list[Question]] = defaultdict(list)
    for q in bank.questions:
        by_domain[q.domain].append(q)
    chosen: list[Question] = []
    for domain in sorted(bank.exam.domain_weights):
        chosen.extend(rng.sample(by_domain[domain], bank.exam.domain_weights[domain]))
    taken = {q.id for q in chosen}
    rest = [q for q in bank.questions if q.id not in taken]
    chosen.extend(rng.sample(rest, bank.exam.questions_per_attempt - len(chosen)))
    order = {d: i for i, d in enumerate(sorted({q.domain for q in bank.questions}))}
    chosen.sort(key=lambda q: order[q.domain])  # stable: the draw order within a domain stays
    return chosen


def shuffle_options(seed: int, count: int = OPTIONS_PER_QUESTION) -> list[int]:
    """The order an attempt shows one question's options in: ``order[shown] = original index``."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return order


@dataclass(frozen=True)
class Graded:
    score: int
    total: int
    passed: bool
    per_domain: dict[str, tuple[int, int]]


def grade(questions: Sequence[Question], chosen: Mapping[str, int | None], pass_mark: int) -> Graded:
    """Score ``chosen`` (question id → original option index, or None) against the answers."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    score = 0
    for q in questions:
        ok = chosen.get(q.id) == q.answer
        score += ok
        per[q.domain][0] += ok
        per[q.domain][1] += 1
    return Graded(
        score, len(questions), score >= pass_mark, {d: (v[0], v[1]) for d, v in sorted(per.items())}
    )


def same_position_score(bank: Bank, seed: int, shown_position: int) -> Graded:
    """What always picking the option shown at ``shown_position`` scores in the attempt that
    ``seed`` makes (the draw and each question's shuffle derive from the seed as the service
    does). Used to show that no fixed position passes."""
    questions = draw(bank, seed)
    chosen = {
        q.id: shuffle_options(option_seed(seed, index))[shown_position] for index, q in enumerate(questions)
    }
    return grade(questions, chosen, bank.exam.pass_mark)


def option_seed(attempt_seed: int, index: int) -> int:
    """The shuffle seed of the ``index``-th question of an attempt."""
    return attempt_seed * 1_000 + index
