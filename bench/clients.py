"""Benchmark of the adviser's Clients overview: 50 client organisations × 20 workflows.

Run: ``.venv/bin/python bench/clients.py [--orgs 50] [--workflows 20] [--repeat 15]``. Uses a
throw-away SQLite database in a temporary folder; each organisation gets workflows with stored
analyses, a trust mark and open assessments (tests/msp/client_data.py). Prints the median (and
best, worst) server time of ``GET /clients/`` and its query count against the target of 300 ms
from issue 12, and checks that the query count is the same for 10 organisations as for
``--orgs`` (exit 1 if not, or if the median misses the target).
"""

from __future__ import annotations

import argparse

from _harness import bench_instance, count_queries, time_ms

TARGET_MS = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--workflows", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    bench_instance()
    from django.test import Client

    from accounts.models import User
    from tests.msp.client_data import make_clients

    adviser = User.objects.create_user("adviser@msp.example", "bench-password", name="Bench Adviser")
    client = Client()
    client.force_login(adviser)
    url = "/clients/"

    def measure() -> tuple[int, int]:
        """(organisations on the page, queries of one request), after a warm-up request."""
        resp = client.get(url)
        assert resp.status_code == 200, resp.status_code
        rows = resp.content.decode().count('data-testid="client-row"')
        return rows, count_queries(lambda: client.get(url))

    small = min(10, args.orgs)
    make_clients(adviser, orgs=small, workflows=args.workflows, prefix="small")
    small_rows, small_queries = measure()
    make_clients(
        adviser, orgs=args.orgs - small, workflows=args.workflows, prefix="large", start_number=60000
    )
    rows, queries = measure()

    timing = time_ms(lambda: client.get(url), repeat=args.repeat)
    constant = queries == small_queries
    print(
        f"clients overview, {rows} organisations × {args.workflows} workflows: {timing}, {queries} queries "
        f"({small_queries} with {small_rows} organisations: {'constant' if constant else 'NOT constant'}), "
        f"target ≤ {TARGET_MS} ms"
    )
    assert constant, f"query count grew from {small_queries} to {queries}"
    return 0 if timing.median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
