"""Every list API refuses out-of-range paging with a 400 naming the field (it used to be a 500)."""

from __future__ import annotations

import pytest

from tests.studio.helpers import make_workflow

pytestmark = pytest.mark.django_db

BAD = [
    ("offset", "9223372036854775808"),
    ("offset", "-1"),
    ("offset", "ten"),
    ("offset", "1e3"),
    ("limit", "9223372036854775808"),
    ("limit", "0"),
    ("limit", "-5"),
    ("limit", "x"),
    ("limit", "100000"),
]


@pytest.fixture
def list_apis(personas, client_for):  # type: ignore[no-untyped-def]
    wf = make_workflow(personas.acme, personas.pat, "Support bot")
    pat, ada = client_for(personas.pat), client_for(personas.ada)
    return [
        (pat, "/api/workflows/"),
        (pat, f"/api/workflows/{wf.pk}/simulations/"),
        (pat, "/api/assessments/"),
        (ada, "/api/review-queue/"),
    ]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_out_of_range_paging_is_a_400_naming_the_field(list_apis, field, value):
    for client, url in list_apis:
        resp = client.get(url, {field: value})
        assert resp.status_code == 400, (url, field, value)
        body = resp.json()
        assert body["error"] == "invalid"
        assert [e["path"] for e in body["errors"]] == [field]
        assert field in body["message"]


def test_in_range_paging_works(list_apis):
    for client, url in list_apis:
        resp = client.get(url, {"limit": "1", "offset": "1000000"})
        assert resp.status_code == 200, url
        assert resp.json()["results"] == []
        assert client.get(url).status_code == 200


def test_drf_default_pagination_class_checks_too(rf):
    from rest_framework.request import Request

    from core.pagination import Pagination
    from lib.errors import DomainError

    paginator = Pagination()
    with pytest.raises(DomainError) as exc:
        paginator.paginate_queryset(list(range(10)), Request(rf.get("/", {"offset": "9223372036854775808"})))
    assert exc.value.errors[0].path == "offset"
    page = paginator.paginate_queryset(list(range(10)), Request(rf.get("/", {"offset": "8", "limit": "5"})))
    assert page == [8, 9]
