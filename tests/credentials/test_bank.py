"""The AIDA bank as data: strict validation naming the field path, balance of the correct
option's position, the weighted seeded draw, per-attempt shuffles, and that answering the same
shown position every time never passes. Pure: no database."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
import yaml

from credentials.bank import BANK_PATH, draw, load_bank, parse_bank, same_position_score, shuffle_options
from lib.errors import DomainError


def raw() -> dict:
    return yaml.safe_load(BANK_PATH.read_text(encoding="utf-8"))


def paths(data: dict) -> list[str]:
    with pytest.raises(DomainError) as exc:
        parse_bank(data)
    return [str(e) for e in exc.value.errors]


def test_the_bundled_bank_is_valid_and_big_enough():
    bank = load_bank()
    assert len(bank.questions) >= 50
    per = Counter(q.domain for q in bank.questions)
    assert set(per) == {f"PSF-{n}" for n in range(1, 9)}
    assert min(per.values()) >= 5
    assert bank.exam.pass_mark == 15 and bank.exam.questions_per_attempt == 20
    assert bank.exam.wait_hours == 72 and bank.exam.validity_years == 2
    assert bank.exam.domain_weights["PSF-1"] == 3 and bank.exam.domain_weights["PSF-3"] == 2


def test_correct_positions_are_spread_evenly():
    counts = Counter(q.answer for q in load_bank().questions)
    n = len(load_bank().questions)
    assert all(0.20 <= counts[p] / n <= 0.30 for p in range(4))


def test_errors_name_the_field_path():
    data = raw()
    data["questions"][3]["options"] = data["questions"][3]["options"][:3]
    assert any(line.startswith("questions[3].options:") and "4 options" in line for line in paths(data))

    data = raw()
    data["questions"][5]["answer"] = 7
    assert any(line.startswith("questions[5].answer:") for line in paths(data))

    data = raw()
    data["questions"][0]["answer"] = "1"  # strict: no coercion from strings
    assert any(line.startswith("questions[0].answer:") for line in paths(data))

    data = raw()
    data["questions"][2]["colour"] = "red"
    assert any(line.startswith("questions[2].colour:") for line in paths(data))

    data = raw()
    data["exam"]["domain_weights"]["PSF-1"] = 30
    assert any(line.startswith("exam:") and "questions_per_attempt" in line for line in paths(data))

    data = raw()
    del data["exam"]["pass_mark"]
    assert any(line.startswith("exam.pass_mark:") for line in paths(data))


def test_an_unbalanced_bank_is_refused():
    data = raw()
    for q in data["questions"]:
        if q["answer"] == 3:
            # Move the correct option to position 0: position 0 then holds it in half the bank.
            q["options"] = [q["options"][3], *q["options"][:3]]
            q["answer"] = 0
    lines = paths(data)
    assert any(line.startswith("questions:") and "position 0" in line for line in lines), lines


def test_too_few_questions_in_a_domain_is_refused():
    data = raw()
    keep = [q for q in data["questions"] if q["domain"] != "PSF-8"][:]
    data["questions"] = keep + [q for q in raw()["questions"] if q["domain"] == "PSF-8"][:4]
    assert any("PSF-8 has 4 questions" in line for line in paths(data))


def test_draw_respects_weights_and_is_reproducible():
    bank = load_bank()
    for seed in range(200):
        questions = draw(bank, seed)
        assert len(questions) == 20
        assert len({q.id for q in questions}) == 20
        per = Counter(q.domain for q in questions)
        for domain, weight in bank.exam.domain_weights.items():
            assert per[domain] >= weight
    assert [q.id for q in draw(bank, 42)] == [q.id for q in draw(copy.deepcopy(bank), 42)]
    assert [q.id for q in draw(bank, 42)] != [q.id for q in draw(bank, 43)]


def test_draw_is_weighted_toward_psf1_and_psf2():
    bank = load_bank()
    totals: Counter[str] = Counter()
    for seed in range(500):
        totals.update(q.domain for q in draw(bank, seed))
    assert totals["PSF-1"] > totals["PSF-3"] and totals["PSF-2"] > totals["PSF-8"]


def test_shuffles_are_permutations_and_vary():
    orders = {tuple(shuffle_options(seed)) for seed in range(200)}
    assert all(sorted(o) == [0, 1, 2, 3] for o in orders)
    assert len(orders) == 24  # every order of four options occurs
    assert shuffle_options(7) == shuffle_options(7)


def test_answering_the_same_position_never_passes_over_1000_attempts():
    bank = load_bank()
    best = max(
        same_position_score(bank, seed, position).score for seed in range(1000) for position in range(4)
    )
    assert best < bank.exam.pass_mark
