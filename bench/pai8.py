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
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INVENTORY_TARGET_MS = 300
ASSESSMENT_TARGET_MS = 200
FILTER = "?q=bot&risk=high&status=production&sort=risk"
DEEP = "?sort=risk&page=10"  # sorted over all 2,000, a page deep


def measure(client: Any, url: str, repeat: int) -> tuple[float, float, float, int]:
    from django.db import connection

    resp = client.get(url)  # warm up: templates, framework, connections
    assert resp.status_code == 200, (url, resp.status_code)
    queries = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times), max(times), queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=2000)
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
    from django.test import Client

    call_command("migrate", verbosity=0)
    from accounts import demo
    from accounts.models import Organisation, User
    from governance import services
    from psf.maturity import PAI8_PATH, bundled_pai8
    from psf.rubric import CURRENT_RUBRIC_PATH
    from psf.services import rubric_load
    from tests.governance.bulk import make_inventory

    rubric_load(path=CURRENT_RUBRIC_PATH)
    rubric_load(path=PAI8_PATH)
    demo.seed([])
    acme = Organisation.objects.get(slug="acme-ai")
    alice = User.objects.get(email="alice@acme.example")
    client = Client()
    client.force_login(alice)

    ok = True
    lines: list[str] = []
    counts: dict[str, list[int]] = {"list": [], "filter": [], "deep page": []}
    report: Callable[[str, tuple[float, float, float, int], int], None]

    def report(label: str, m: tuple[float, float, float, int], target: int) -> None:
        nonlocal ok
        median, best, worst, queries = m
        ok = ok and median <= target
        lines.append(
            f"{label}: median {median:.0f} ms (best {best:.0f}, worst {worst:.0f}; {args.repeat} runs), {queries} queries, target ≤ {target} ms"
        )

    small = max(1, args.systems // 10)
    make_inventory(acme, alice, small)
    urls = (("list", "/inventory/"), ("filter", f"/inventory/{FILTER}"), ("deep page", f"/inventory/{DEEP}"))
    for key, url in urls:
        counts[key].append(measure(client, url, 1)[3])
    make_inventory(acme, alice, args.systems - small, start=small)
    for key, url in urls:
        m = measure(client, url, args.repeat)
        counts[key].append(m[3])
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
