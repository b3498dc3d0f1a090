"""The inventory list, its exports and the self-assessment page run in a fixed number of queries,
whatever the size of the inventory (no per-row query; bench/pai8.py times them at 2,000)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import services
from psf.maturity import bundled_pai8
from tests.governance.bulk import make_inventory

pytestmark = pytest.mark.django_db

URLS = [
    "/inventory/",
    "/inventory/?q=bot&status=idea&risk=low&sort=risk",  # non-empty at 5 systems too
    "/inventory/?sort=updated&page=2",
    "/inventory/export.csv",
    "/inventory/export.json",
    "/api/inventory/",
    "/governance/",
    "/governance/self-assessments/{a}/",
]


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len(ctx.captured_queries)


def test_constant_queries_for_5_and_50_systems(personas, client_for, django_assert_num_queries, settings):
    from governance import views

    settings.DEBUG = False
    views.INVENTORY_PAGE_SIZE, size = 4, views.INVENTORY_PAGE_SIZE  # page 2 exists at 5 systems
    try:
        alice = client_for(personas.alice)
        a = services.pai8_assessment_start(organisation=personas.acme, actor=personas.alice)
        codes = [p.code for p in bundled_pai8().all_checkpoints()]
        services.pai8_answers_save(
            assessment=a,
            actor=personas.alice,
            answers={c: {"level": 1, "justification": "Written down", "owner": "CISO"} for c in codes},
        )
        urls = [u.format(a=a.pk) for u in URLS]
        make_inventory(personas.acme, personas.alice, 5)
        for url in urls:
            _count(alice, url)  # warm up caches (framework, session) before counting
        few = {url: _count(alice, url) for url in urls}
        make_inventory(personas.acme, personas.alice, 45, start=5)
        for url in urls:
            with django_assert_num_queries(few[url], info=url):
                alice.get(url)
    finally:
        views.INVENTORY_PAGE_SIZE = size


def test_the_inventory_pages_and_counts_all_matches(personas, client_for):
    from governance import views

    make_inventory(personas.acme, personas.alice, views.INVENTORY_PAGE_SIZE + 5)
    alice = client_for(personas.alice)
    first = alice.get("/inventory/?sort=name").content.decode()
    assert first.count('data-testid="system-row"') == views.INVENTORY_PAGE_SIZE
    assert f"{views.INVENTORY_PAGE_SIZE + 5} systems." in first
    assert "sort=name&amp;page=2" in first
    second = alice.get("/inventory/?sort=name&page=2").content.decode()
    assert second.count('data-testid="system-row"') == 5
    assert alice.get("/inventory/?page=999").status_code == 200  # out of range: the last page
    assert alice.get("/inventory/?page=abc").status_code == 200  # not a number: the first page
