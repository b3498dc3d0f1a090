"""What the page benchmarks share: a throwaway instance (own var dir, migrated, rubric and PAI-8
loaded, demo accounts), a query counter and a timing loop that reports medians.

Benchmarks import this first (it puts the repository on ``sys.path``)."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# First on the path: bench/ (the script's folder) holds analysis.py, which must not shadow the
# analysis package.
sys.path.insert(0, str(ROOT))


def bench_instance(*, seed_accounts: bool = True) -> str:
    """Set up a throwaway development instance in a temporary var dir; returns that dir."""
    tmp = tempfile.mkdtemp(prefix="wfos-bench-")
    os.environ.update(
        {
            "WORKFLOWOS_VAR_DIR": tmp,
            "DJANGO_ENV": "development",
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "workflowos.settings",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from psf.maturity import PAI8_PATH
    from psf.rubric import CURRENT_RUBRIC_PATH
    from psf.services import rubric_load

    rubric_load(path=CURRENT_RUBRIC_PATH)
    rubric_load(path=PAI8_PATH)
    if seed_accounts:
        from accounts import demo

        demo.seed([])
    return tmp


def count_queries(call: Callable[[], Any]) -> int:
    """How many SQL statements one call runs."""
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    return queries


@dataclass(frozen=True)
class Timing:
    median: float
    best: float
    worst: float
    runs: int

    def __str__(self) -> str:
        return f"median {self.median:.0f} ms (best {self.best:.0f}, worst {self.worst:.0f}; {self.runs} runs)"


def time_ms(call: Callable[[], Any], *, repeat: int) -> Timing:
    """Run ``call`` ``repeat`` times; the median, best and worst wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return Timing(statistics.median(times), min(times), max(times), repeat)
