"""Deeply nested or oversized JSON is a 400 with a clear message at every JSON entry point: the
API (DRF's parser), the studio import (API and page), evidence uploads, and the CLI."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from lib import safejson
from tests.studio.helpers import make_workflow, small_doc
from workflowos.cli import main

DEPTH = 100_000
DEEP_ARRAY = "[" * DEPTH + "]" * DEPTH
DEEP_OBJECT = '{"a":' * DEPTH + "1" + "}" * DEPTH
DEEP_IN_DOC = json.dumps(small_doc())[:-1] + ', "extra": ' + DEEP_ARRAY + "}"
DEEP = [DEEP_ARRAY, DEEP_OBJECT, DEEP_IN_DOC]
NESTED_MESSAGE = f"JSON nested deeper than {safejson.MAX_DEPTH} levels"


# --- the scanner ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", DEEP)
def test_loads_refuses_deep_nesting_without_recursing(text):
    with pytest.raises(safejson.JSONTooDeep, match=NESTED_MESSAGE):
        safejson.loads(text)
    with pytest.raises(ValueError):  # callers that catch ValueError handle it too
        safejson.loads(text.encode())


def test_brackets_inside_strings_do_not_count():
    text = json.dumps({"a": "[" * 500, "b": "{" * 500 + '\\"' + "[" * 10, "c": [[1]]})
    assert safejson.loads(text)["c"] == [[1]]
    assert safejson.nesting_depth(text) == 3


def test_nesting_at_the_limit_is_accepted():
    limit = safejson.MAX_DEPTH
    assert safejson.loads("[" * limit + "]" * limit) is not None
    with pytest.raises(safejson.JSONTooDeep):
        safejson.loads("[" * (limit + 1) + "]" * (limit + 1))


# --- the API -------------------------------------------------------------------------------


def _api_routes() -> list[str]:
    """Every URL pattern under /api/, with its int arguments as ``{id}``."""
    out: list[str] = []

    def walk(patterns: list, prefix: str) -> None:  # type: ignore[type-arg]
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and route.startswith("api/"):
                out.append("/" + re.sub(r"<(?:int:)?\w+>", "{id}", route).lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


@pytest.mark.django_db
def test_no_api_route_answers_5xx_to_a_deep_body(personas, client_for):
    wf = make_workflow(personas.acme, personas.pat, "Deep")
    client = client_for(personas.pat)
    routes = _api_routes()
    assert "/api/workflows/" in routes and "/api/workflows/import/" in routes
    for route in routes:
        url = route.replace("{id}", str(wf.pk))
        for method in ("post", "put", "patch"):
            resp = getattr(client, method)(url, DEEP_ARRAY, content_type="application/json")
            assert resp.status_code < 500, (method, url, resp.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("body", DEEP, ids=["array", "object", "inside-a-document"])
def test_json_bodies_nested_too_deep_are_a_clear_400(personas, client_for, body):
    wf = make_workflow(personas.acme, personas.pat, "Deep")
    client = client_for(personas.pat)
    for method, url in (
        ("post", "/api/workflows/"),
        ("put", f"/api/workflows/{wf.pk}/"),
        ("post", "/api/workflows/import/"),
        ("post", f"/api/workflows/{wf.pk}/simulations/"),
        ("post", "/api/exports/"),
    ):
        resp = getattr(client, method)(url, body, content_type="application/json")
        assert resp.status_code == 400, (url, resp.status_code)
        assert NESTED_MESSAGE in resp.json()["message"], url


@pytest.mark.django_db
def test_oversized_json_body_is_a_clear_400(personas, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    wf = make_workflow(personas.acme, personas.pat, "Big")
    body = json.dumps({"n": 10, "pad": "x" * (1024 * 1024)})
    resp = client_for(personas.pat).post(
        f"/api/workflows/{wf.pk}/simulations/", body, content_type="application/json"
    )
    assert resp.status_code == 400
    assert "body too large" in resp.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", DEEP[:2], ids=["array", "object"])
def test_studio_import_of_a_deep_file_is_refused(personas, client_for, body):
    client = client_for(personas.pat)
    resp = client.post("/api/workflows/import/", {"file": SimpleUploadedFile("deep.json", body.encode())})
    assert resp.status_code == 400
    assert NESTED_MESSAGE in resp.json()["message"]
    page = client.post("/studio/import/", {"file": SimpleUploadedFile("deep.json", body.encode())})
    assert page.status_code == 400
    assert NESTED_MESSAGE in page.content.decode()


def test_evidence_upload_of_a_deep_json_file_is_refused():
    import io

    from lib.errors import DomainError
    from lib.uploads import inspect_upload

    with pytest.raises(DomainError, match="nested deeper"):
        inspect_upload("deep.json", io.BytesIO(DEEP_ARRAY.encode()))


# --- the CLI -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", DEEP, ids=["array", "object", "inside-a-document"])
def test_cli_analyze_of_a_deep_file_exits_2_with_a_message(tmp_path, capsys, body):
    path = tmp_path / "deep.json"
    path.write_text(body)
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert NESTED_MESSAGE in err
    assert "Traceback" not in err and "RecursionError" not in err


def test_cli_simulate_of_a_deep_file_exits_2(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text(DEEP_ARRAY)
    assert main(["simulate", str(path)]) == 2
    assert NESTED_MESSAGE in capsys.readouterr().err
