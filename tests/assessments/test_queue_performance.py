"""The review queue renders 500 submissions in a constant number of queries (its time is measured by
bench/review_queue.py: timings do not belong in the suite, which runs on a shared, noisy machine)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.assessments.queue_data import make_queue

pytestmark = pytest.mark.django_db

URL = "/review/?status=open"


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(URL)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


def test_queue_queries_do_not_grow_with_rows(personas, client_for, django_assert_max_num_queries):
    c = client_for(personas.ada)
    make_queue(5, assessor=personas.ada, prefix="few")
    few = _queries(c)
    make_queue(495, assessor=personas.ada, prefix="many")
    with django_assert_max_num_queries(few):
        resp = c.get(URL)
    assert resp.content.decode().count('data-testid="queue-row"') == 500
    assert few <= 10
