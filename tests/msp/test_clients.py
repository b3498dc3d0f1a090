"""The adviser's Clients overview: what it shows, filters and sorts, the switch, the nav link, and
a constant number of queries whatever the number of client organisations."""

from __future__ import annotations

import re

import pytest

from tests.msp.client_data import make_clients

pytestmark = pytest.mark.django_db


def _slugs(html: str) -> list[str]:
    return re.findall(r'data-testid="client-row" data-slug="([^"]+)"', html)


def test_mia_sees_both_clients_with_marks_assessments_scores_and_overdue(personas, client_for):
    from tests.assessments.helpers import applied

    resp = client_for(personas.mia).get("/clients/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert _slugs(html) == ["acme-ai", "globex"]
    assert 'data-testid="nav-clients"' in html
    applied(personas)  # Acme has an open assessment now
    html = client_for(personas.mia).get("/clients/").content.decode()
    assert "Applied" in html and "DSA-" in html


def test_marks_scores_overdue_filters_and_sorts(personas, client_for, rubric_version):
    from tests.studio.helpers import make_workflow
    from tests.trustmarks.helpers import issue_mark

    issue_mark(personas, rubric_version, org=personas.globex, days_ago=330)  # expires in about 35 days
    make_clients(personas.mia, orgs=4, workflows=3, prefix="beta")
    make_workflow(personas.acme, personas.pat, "Never analysed")
    c = client_for(personas.mia)
    html = c.get("/clients/").content.decode()
    assert _slugs(html)[:2] == ["acme-ai", "beta-000"]
    assert "TM-" in html and "Workflow 00" in html
    assert "Never analysed" in html and "not analysed" in html

    # Text filter (name or display name).
    assert _slugs(c.get("/clients/?q=GLOB").content.decode()) == ["globex"]
    # Only clients with overdue items: the generated ones with a past target date / SLA.
    overdue = _slugs(c.get("/clients/?overdue=1").content.decode())
    assert overdue and "acme-ai" not in overdue
    # Mark status.
    assert _slugs(c.get("/clients/?mark=none").content.decode()) == ["acme-ai"]
    assert "globex" in _slugs(c.get("/clients/?mark=expiring").content.decode())
    assert _slugs(c.get("/clients/?mark=suspended").content.decode()) == ["beta-003"]
    # Sorts.
    by_expiry = _slugs(c.get("/clients/?sort=expiry").content.decode())
    # Soonest live expiry first; no live mark (none, or expired) last, by name.
    assert by_expiry == ["globex", "beta-001", "beta-003", "beta-000", "acme-ai", "beta-002"]
    counts = [
        int(n)
        for n in re.findall(r'client-overdue-count">(\d+)<', c.get("/clients/?sort=overdue").content.decode())
    ]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    by_score = _slugs(c.get("/clients/?sort=score").content.decode())
    assert set(by_score[-2:]) == {"acme-ai", "globex"}  # nothing analysed: last
    # Bad parameters fall back to the defaults, never a 500.
    assert c.get("/clients/?sort=%3Cx%3E&mark=zzz&overdue=maybe").status_code == 200


def test_one_click_switches_into_the_client(personas, client_for):
    c = client_for(personas.mia)
    html = c.get("/clients/").content.decode()
    globex_id = personas.globex.pk
    assert f'name="organisation" value="{globex_id}"' in html
    resp = c.post("/accounts/organisation/switch/", {"organisation": globex_id, "next": "/dashboard/"})
    assert resp.status_code == 302 and resp["Location"] == "/dashboard/"
    html = c.get("/clients/").content.decode()
    assert re.search(r'data-slug="globex".*?working here now', html, re.S)


def test_nav_shows_clients_only_with_two_memberships(personas, client_for):
    assert 'data-testid="nav-clients"' not in client_for(personas.pat).get("/dashboard/").content.decode()
    assert 'data-testid="nav-clients"' in client_for(personas.mia).get("/dashboard/").content.decode()


def test_user_typed_names_are_escaped(personas, client_for):
    personas.globex.brand_name = '<script>alert("x")</script>'
    personas.globex.save()
    html = client_for(personas.mia).get("/clients/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_query_count_is_constant_for_2_and_6_organisations(
    personas, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(personas.mia)
    c.get("/clients/")  # warm-up (session, rubric caches)
    with CaptureQueriesContext(connection) as two:
        assert c.get("/clients/").status_code == 200
    make_clients(personas.mia, orgs=4, workflows=5, prefix="more")
    with django_assert_max_num_queries(len(two.captured_queries)):
        resp = c.get("/clients/")
    assert len(_slugs(resp.content.decode())) == 6
