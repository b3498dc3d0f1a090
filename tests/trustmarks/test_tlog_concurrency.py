"""Concurrent appends never share an index: the head row is locked (real threads, real database;
on PostgreSQL in CI's second run, where ``SELECT … FOR UPDATE`` does the serialising)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6
EACH = 8


def test_concurrent_appends_get_distinct_indexes_and_a_valid_tree():
    from trustmarks import tlog
    from trustmarks.models import LogEntry

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers by locking the whole file; the row lock is PostgreSQL's")
    tlog.log_signer()  # one key for every thread
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        from django.db import connection as conn

        try:
            barrier.wait()
            for i in range(EACH):
                leaf = tlog.leaf_for(
                    kind="issued",
                    mark_id=f"TM-{n * 100 + i + 1:05d}",
                    status="active",
                    expires="2030-01-01",
                    credential_sha256="0" * 64,
                    time=datetime.now(UTC),
                )
                tlog.append_leaves([leaf])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    indexes = list(LogEntry.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(THREADS * EACH))
    _, checkpoint = tlog.signed_checkpoint()
    assert checkpoint.size == THREADS * EACH
    report = tlog.log_verify()
    assert report.ok, report.problems
