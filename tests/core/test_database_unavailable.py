"""While the database is out of reach, pages and APIs answer 503 with a clear message and
``Retry-After``, never 500. The database is made unreachable for real (the connection is pointed
at a file in a missing folder, or a closed port), not mocked; a real server against a stopped
PostgreSQL is in tests/faults/test_database_down.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


class Database:
    """Takes the database out of reach (every new connection fails) and brings it back."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, missing: Any) -> None:
        self.monkeypatch = monkeypatch
        self.missing = missing

    def down(self) -> None:
        connection.close()
        if connection.vendor == "sqlite":
            self.monkeypatch.setitem(connection.settings_dict, "NAME", str(self.missing / "db.sqlite3"))
        else:
            self.monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
            self.monkeypatch.setitem(connection.settings_dict, "PORT", "1")

    def up(self) -> None:
        connection.close()
        self.monkeypatch.undo()


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Database]:
    db = Database(monkeypatch, tmp_path / "missing")
    try:
        yield db
    finally:
        db.up()


def assert_unavailable(resp: Any) -> None:
    assert resp.status_code == 503, resp.content[:500]
    assert resp["Retry-After"] == "30"
    body = resp.content.decode()
    assert "cannot reach its database" in body
    for leak in ("OperationalError", "Traceback", "unable to open", "missing", "127.0.0.1", "port 1"):
        assert leak not in body


def test_a_signed_in_page_answers_503_with_a_plain_page(client_for, personas, database):
    client = client_for(personas.pat)
    database.down()
    resp = client.get("/dashboard/")
    assert_unavailable(resp)
    assert resp["Content-Type"].startswith("text/html")
    assert "Temporarily unavailable" in resp.content.decode()


def test_the_api_answers_503_json(client_for, personas, database):
    client = client_for(personas.pat)
    database.down()
    resp = client.get("/api/me/")
    assert_unavailable(resp)
    assert resp.json()["error"] == "database_unavailable"


def test_the_public_verify_api_answers_503_with_retry_after(client, database):
    database.down()
    resp = client.get("/api/certify/trust-mark/verify", {"id": "TM-00001"})
    assert_unavailable(resp)
    assert resp.json()["error"] == "database_unavailable"
    assert resp["Access-Control-Allow-Origin"] == "*"


def test_a_public_page_that_reads_the_database_answers_503(client, database):
    database.down()
    resp = client.get("/psf/")
    assert_unavailable(resp)


def test_sign_in_answers_503(client, personas, database):
    database.down()
    resp = client.post("/accounts/sign-in/", {"email": "pat@acme.example", "password": "x" * 12})
    assert_unavailable(resp)


def test_healthz_names_the_database(client, database):
    database.down()
    resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.json()
    assert "database" in body["down"]
    assert body["checks"]["database"]["detail"] == "cannot connect to the database or run a query"
    assert body["checks"]["worker"]["ok"] is None  # cannot tell without the database
    assert "missing" not in resp.content.decode() and "OperationalError" not in resp.content.decode()


def test_the_same_pages_work_again_once_the_database_is_back(client_for, personas, database):
    client = client_for(personas.pat)
    database.down()
    assert client.get("/dashboard/").status_code == 503
    database.up()
    assert client.get("/dashboard/").status_code == 200
