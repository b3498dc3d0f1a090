"""Benchmark of the assessors' review queue: 500 open assessments rendered as one page.

Run: ``.venv/bin/python bench/review_queue.py [--rows 500] [--repeat 15]``. Uses a throw-away
SQLite database in a temporary folder; prints the median (and best, worst) server time of
``GET /review/?status=open`` and its query count, against the target of 300 ms from issue 5.
"""

from __future__ import annotations

import argparse

from _harness import bench_instance, count_queries, time_ms

TARGET_MS = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    bench_instance()
    from django.test import Client

    from accounts.models import User
    from tests.assessments.queue_data import make_queue

    ada = User.objects.get(email="ada@workflowos.example")
    make_queue(args.rows, assessor=ada)

    client = Client()
    client.force_login(ada)
    url = "/review/?status=open"
    resp = client.get(url)  # warm up: templates, rubric, connections
    assert resp.status_code == 200, resp.status_code
    rows = resp.content.decode().count('data-testid="queue-row"')
    queries = count_queries(lambda: client.get(url))
    timing = time_ms(lambda: client.get(url), repeat=args.repeat)
    print(f"review queue, {rows} rows: {timing}, {queries} queries, target ≤ {TARGET_MS} ms")
    return 0 if timing.median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
