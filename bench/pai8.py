"""Benchmark of the organisation path: the AI use-case inventory at 2,000 systems and a PAI-8
self-assessment page with its 32 checkpoints.

Run: ``.venv/bin/python bench/pai8.py [--systems 2000] [--repeat 15]``. Uses a throw-away SQLite
database in a temporary folder. Prints the median (best, worst) server time and the query count of
``GET /inventory/`` (the first page of 100), a filtered and sorted ``GET /inventory/?…``, a page
sorted by risk ten pages deep, and
``GET /governance/self-assessments/<id>/`` (32 answered checkpoints with the proposals of existing
evidence), against the targets of issue 16 (≤ 300 ms, ≤ 200 ms). The query counts are measured at
a tenth of the systems too, in the same run: they must be the same (no per-row query).
"""

from __future__ import annotations

import argparse
from typing import Any

from _harness import Timing, bench_instance, count_queries, time_ms

INVENTORY_TARGET_MS = 300
ASSESSMENT_TARGET_MS = 200
FILTER = "?q=bot&risk=high&status=production&sort=risk"
DEEP = "?sort=risk&page=10"  # sorted over all 2,000, a page deep


def measure(client: Any, url: str, repeat: int) -> tuple[Timing, int]:
    resp = client.get(url)  # warm up: templates, framework, connections
    assert resp.status_code == 200, (url, resp.status_code)
    queries = count_queries(lambda: client.get(url))
    return time_ms(lambda: client.get(url), repeat=repeat), queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    bench_instance()
    from django.test import Client

    from accounts.models import Organisation, User
    from governance import services
    from psf.maturity import bundled_pai8
    from tests.governance.bulk import make_inventory

    acme = Organisation.objects.get(slug="acme-ai")
    alice = User.objects.get(email="alice@acme.example")
    client = Client()
    client.force_login(alice)

    ok = True
    lines: list[str] = []
    counts: dict[str, list[int]] = {"list": [], "filter": [], "deep page": []}

    def report(label: str, m: tuple[Timing, int], target: int) -> None:
        nonlocal ok
        timing, queries = m
        ok = ok and timing.median <= target
        lines.append(f"{label}: {timing}, {queries} queries, target ≤ {target} ms")

    small = max(1, args.systems // 10)
    make_inventory(acme, alice, small)
    urls = (("list", "/inventory/"), ("filter", f"/inventory/{FILTER}"), ("deep page", f"/inventory/{DEEP}"))
    for key, url in urls:
        counts[key].append(measure(client, url, 1)[1])
    make_inventory(acme, alice, args.systems - small, start=small)
    for key, url in urls:
        m = measure(client, url, args.repeat)
        counts[key].append(m[1])
        report(f"inventory {url} with {args.systems} systems", m, INVENTORY_TARGET_MS)

    codes = [p.code for p in bundled_pai8().all_checkpoints()]
    a = services.pai8_assessment_start(organisation=acme, actor=alice)
    services.pai8_answers_save(
        assessment=a,
        actor=alice,
        answers={c: {"level": 2, "justification": "Board minutes of May", "owner": "CISO"} for c in codes},
    )
    m = measure(client, f"/governance/self-assessments/{a.pk}/", args.repeat)
    report(f"self-assessment page, {len(codes)} checkpoints answered", m, ASSESSMENT_TARGET_MS)

    for line in lines:
        print(line)
    for key, (few, many) in counts.items():
        same = few == many
        ok = ok and same
        print(
            f"queries of the inventory {key}: {few} at {small} systems, {many} at {args.systems} — {'constant' if same else 'NOT constant'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
