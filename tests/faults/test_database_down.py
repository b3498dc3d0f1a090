"""PostgreSQL stopped under a real gunicorn: signed-in pages, the API, sign-in and the public
verify API answer 503 with a clear message and ``Retry-After`` (never 500, never a traceback or a
host name); /healthz names the database; once PostgreSQL is back, the same requests work again.

Run: ``DJANGO_ENV=test .venv/bin/pytest tests/faults/test_database_down.py -q`` (about 15 s).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.faults.data import SETUP
from tests.faults.servers import PostgresCluster, Web, app_env, manage, shell_json

pytestmark = [pytest.mark.integration]

PG_PORT = 18351
WEB_PORT = 18311
SESSION = """
import json
from django.test import Client
from accounts.models import User
client = Client()
client.force_login(User.objects.get(email="pat@acme.example"))
print("RESULT " + json.dumps(client.cookies["sessionid"].value))
"""
LEAKS = ("Traceback", "OperationalError", "psycopg", "127.0.0.1", str(PG_PORT), "connection refused")


def no_leak(body: bytes) -> bool:
    text = body.decode(errors="replace")
    return not any(leak.lower() in text.lower() for leak in LEAKS)


def test_pages_and_apis_answer_503_while_postgres_is_down(work):
    pg = PostgresCluster(PG_PORT).init()
    # Persistent connections with health checks, as in production: each broken one is replaced.
    env = app_env(work, database_url=pg.url(), DB_CONN_MAX_AGE="60")
    web = None
    try:
        manage(env, "migrate", "-v0")
        token = shell_json(env, SETUP)["token"]
        session = shell_json(env, SESSION)
        web = Web(WEB_PORT, env, work)
        cookie = f"sessionid={session}"
        verify = "/api/certify/trust-mark/verify?id=TM-00001"

        assert web.request("GET", "/dashboard/", Cookie=cookie)[0] == 200
        assert web.request("GET", "/api/me/", token=token)[0] == 200
        assert web.request("GET", verify)[0] == 404  # never issued: the database answered
        status, headers, body = web.request("GET", "/accounts/sign-in/")
        assert status == 200
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        csrf_cookie = headers["Set-Cookie"].split("csrftoken=")[1].split(";")[0]

        pg.stop()

        status, headers, body = web.request("GET", "/dashboard/", Cookie=cookie)
        assert (status, headers.get("Retry-After")) == (503, "30"), body[:300]
        assert headers["Content-Type"].startswith("text/html") and b"cannot reach its database" in body
        assert no_leak(body)

        status, headers, body = web.request("GET", "/api/me/", token=token)
        assert (status, headers.get("Retry-After")) == (503, "30")
        assert json.loads(body)["error"] == "database_unavailable" and no_leak(body)

        status, headers, body = web.request("GET", verify)
        assert (status, headers.get("Retry-After")) == (503, "30")
        assert json.loads(body)["error"] == "database_unavailable" and no_leak(body)
        assert headers.get("Access-Control-Allow-Origin") == "*"

        status, headers, body = web.request(
            "POST",
            "/accounts/sign-in/",
            form={"email": "pat@acme.example", "password": "not the password", "csrfmiddlewaretoken": csrf},
            Cookie=f"csrftoken={csrf_cookie}",
        )
        assert status == 503 and no_leak(body), body[:300]

        status, headers, body = web.request("GET", "/healthz")
        health = json.loads(body)
        assert status == 503 and "database" in health["down"] and no_leak(body)

        pg.start()
        assert web.request("GET", "/dashboard/", Cookie=cookie)[0] == 200
        assert web.request("GET", "/api/me/", token=token)[0] == 200
        assert web.request("GET", verify)[0] == 404
    finally:
        if web is not None:
            web.stop()
        pg.destroy()
