from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_landing_routes_each_visitor_role(client, rubric_version):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    for route in ("learn", "apply", "roll-out", "advise"):
        assert f'data-route="{route}"' in html
    assert 'href="/psf/"' in html  # learn → the standard
    assert "/roll-out/" in html and "/advise/" in html
    assert client.get("/roll-out/").status_code == 200
    assert client.get("/advise/").status_code == 200


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/no/such/page/")
    assert resp.status_code == 404
    assert "Page not found" in resp.content.decode()


def test_unknown_api_path_is_json_404(client):
    resp = client.get("/api/no-such-thing/")
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"


def test_dashboard_shows_active_organisation(client_for, personas):
    resp = client_for(personas.pat).get("/dashboard/")
    assert resp.status_code == 200
    assert 'data-testid="active-org"' in resp.content.decode()
    assert "Acme AI" in resp.content.decode()
