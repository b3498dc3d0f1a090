"""Branded error pages: an unknown page, a public record that does not exist and a failing view
show our page (with its stylesheet), never Django's technical pages or the exception."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

INTERNALS = ("Traceback", "URLconf", "secret internals", "hunter2", "RuntimeError", "urlpatterns")


@pytest.mark.parametrize("path", ["/no-such-page/", "/verify/TM-99999", "/studio/424242/"])
def test_unknown_pages_get_the_branded_404(client: Client, path: str, personas) -> None:
    client.force_login(personas.pat)
    resp = client.get(path)
    assert resp.status_code == 404
    body = resp.content.decode()
    assert "Page not found" in body
    assert 'rel="stylesheet"' in body
    assert not any(x in body for x in INTERNALS)


@pytest.mark.urls("tests.core.urls_boom")
def test_a_failing_view_gets_the_branded_500_without_internals() -> None:
    client = Client(raise_request_exception=False)
    resp = client.get("/boom/")
    assert resp.status_code == 500
    body = resp.content.decode()
    assert "Something went wrong" in body
    assert 'rel="stylesheet"' in body
    assert not any(x in body for x in INTERNALS)

    api = client.get("/api/boom/")
    assert api.status_code == 500
    assert api.json()["error"] == "server_error"
    assert not any(x in api.content.decode() for x in INTERNALS)


@pytest.mark.urls("tests.core.urls_boom")
def test_the_500_page_survives_a_failing_page_context(monkeypatch: pytest.MonkeyPatch) -> None:
    # What broke the view may also break the page around it (e.g. the database): a plain page then.
    def broken(request):  # type: ignore[no-untyped-def]
        raise RuntimeError("context processor failed too")

    monkeypatch.setattr("accounts.context_processors.organisation", broken)
    resp = Client(raise_request_exception=False).get("/boom/")
    assert resp.status_code == 500
    body = resp.content.decode()
    assert "Something went wrong" in body
    assert not any(x in body for x in INTERNALS)


def test_debug_is_off_on_the_embedded_default_unless_asked_for() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def debug(extra: dict[str, str]) -> str:
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ENV", "DEBUG"}}
        env.update(extra)
        return subprocess.run(
            [sys.executable, "-c", "from workflowos import settings; print(settings.DEBUG)"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()

    assert debug({"DJANGO_ENV": "development"}) == "False"
    assert debug({"DJANGO_ENV": "development", "DEBUG": "1"}) == "True"
