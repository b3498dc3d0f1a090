"""Benchmark of the AIDA bank engine (pure Python, no database).

Run: ``.venv/bin/python bench/aida_bank.py [--rounds 7]``. Prints the median time to load and
validate the bank file, to draw one attempt with its 20 option shuffles, and to grade the
always-same-position strategy over 1,000 seeded attempts (the test's simulation).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from credentials.bank import (
    BANK_PATH,
    draw,
    load_bank_text,
    option_seed,
    same_position_score,
    shuffle_options,
)


def timed(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    text = BANK_PATH.read_text(encoding="utf-8")
    bank = load_bank_text(text)

    def one_attempt() -> None:
        for i, _q in enumerate(draw(bank, 12345)):
            shuffle_options(option_seed(12345, i))

    def strategy() -> None:
        for seed in range(1000):
            for position in range(4):
                same_position_score(bank, seed, position)

    print(
        f"load + validate bank ({len(bank.questions)} questions): {timed(lambda: load_bank_text(text), rounds) * 1e3:.1f} ms"
    )
    print(f"draw one attempt + 20 shuffles: {timed(one_attempt, rounds * 20) * 1e6:.0f} µs")
    print(f"same-position strategy, 1,000 attempts x 4 positions: {timed(strategy, rounds) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
