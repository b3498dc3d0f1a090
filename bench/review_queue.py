"""Benchmark of the assessors' review queue: 500 open assessments rendered as one page.

Run: ``.venv/bin/python bench/review_queue.py [--rows 500] [--repeat 15]``. Uses a throw-away
SQLite database in a temporary folder; prints the median (and best, worst) server time of
``GET /review/?status=open`` and its query count, against the target of 300 ms from issue 5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MS = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

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
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from accounts import demo
    from accounts.models import User
    from psf.rubric import CURRENT_RUBRIC_PATH
    from psf.services import rubric_load
    from tests.assessments.queue_data import make_queue

    rubric_load(path=CURRENT_RUBRIC_PATH)
    demo.seed([])
    ada = User.objects.get(email="ada@workflowos.example")
    make_queue(args.rows, assessor=ada)

    client = Client()
    client.force_login(ada)
    url = "/review/?status=open"
    resp = client.get(url)  # warm up: templates, rubric, connections
    assert resp.status_code == 200, resp.status_code
    rows = resp.content.decode().count('data-testid="queue-row"')
    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    median = statistics.median(times)
    print(
        f"review queue, {rows} rows: median {median:.0f} ms (best {min(times):.0f}, worst {max(times):.0f}; {args.repeat} runs), {queries} queries, target ≤ {TARGET_MS} ms"
    )
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
