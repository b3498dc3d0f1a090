"""The public certification endpoints in the OpenAPI schema: documented answers, and schemathesis."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks as st_checks

pytestmark = pytest.mark.django_db

PUBLIC_PATHS = [
    "/api/certify/trust-mark/verify",
    "/api/certify/status/message",
    "/api/certify/status/revocation",
    "/api/certify/status/suspension",
    "/api/certify/log/head",
    "/api/certify/log/checkpoint",
    "/api/certify/log/entries",
    "/api/certify/log/proof/inclusion",
    "/api/certify/log/proof/consistency",
    "/.well-known/jwks.json",
    "/.well-known/tlog-key",
]


def openapi(client) -> dict:
    resp = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert resp.status_code == 200
    return json.loads(resp.content)


def test_every_public_endpoint_is_documented_without_auth(client):
    paths = openapi(client)["paths"]
    for path in PUBLIC_PATHS:
        assert path in paths, path
        assert paths[path]["get"].get("security", []) in ([], [{}]), path


def test_verify_documents_every_answer_with_an_example(client):
    op = openapi(client)["paths"]["/api/certify/trust-mark/verify"]["get"]
    responses = op["responses"]
    assert set(responses) == {"200", "304", "400", "404", "409", "429"}
    ok = responses["200"]["content"]["application/json"]["examples"]
    assert {e["value"]["status"] for e in ok.values()} == {"active", "suspended", "revoked", "expired"}
    assert [e["value"]["valid"] for e in ok.values() if e["value"]["status"] == "active"] == [True]
    valid = next(e["value"] for e in ok.values() if e["value"]["valid"])
    assert list(valid)[:4] == ["valid", "company", "expires", "domains"]
    assert valid["company"] == "Acme AI" and valid["domains"] == "PSF-1..8"
    assert next(iter(responses["404"]["content"]["application/json"]["examples"].values()))["value"] == {
        "valid": False,
        "id": "TM-99999",
        "error": "not_found",
    }
    assert "examples" in responses["400"]["content"]["application/json"]
    assert "examples" in responses["429"]["content"]["application/json"]
    mismatch = next(iter(responses["409"]["content"]["application/json"]["examples"].values()))["value"]
    assert mismatch["valid"] is False and mismatch["error"] == "log_mismatch"
    assert "Retry-After" in responses["429"]["headers"]
    assert {"ETag", "Cache-Control", "Access-Control-Allow-Origin"} <= set(responses["200"]["headers"])
    params = {p["name"]: p for p in op["parameters"]}
    assert params["id"]["required"] is True and params["id"]["schema"]["pattern"] == "^TM-[0-9]{5}$"
    assert params["If-None-Match"]["in"] == "header"


def test_status_lists_are_documented_as_vc_jwt(client):
    paths = openapi(client)["paths"]
    for purpose in ("message", "revocation", "suspension"):
        assert (
            "application/vc+jwt"
            in paths[f"/api/certify/status/{purpose}"]["get"]["responses"]["200"]["content"]
        )


def _public_schema():  # type: ignore[no-untyped-def]
    """The served OpenAPI document, limited to the public certification endpoints, bound to the
    WSGI app. Built at collection time without a request (pytest 9 rules out lazy loading)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    from workflowos.wsgi import application

    document = json.loads(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    return loaded.include(path_regex=r"^(/api/certify/|/\.well-known/)")


schema = _public_schema()


@pytest.fixture
def public_data(settings, personas, rubric_version):  # type: ignore[no-untyped-def]
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from tests.trustmarks.helpers import issue_mark

    settings.VERIFY_RATE = "100000/m"
    issue_mark(personas, rubric_version)
    issue_mark(personas, rubric_version, company="Suspended Co", status="suspended")
    # As Django's test client does: the test's transaction must survive the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
def test_public_endpoints_conform_to_the_schema(case, public_data):  # type: ignore[no-untyped-def]
    response = case.call_and_validate(
        checks=[
            st_checks.not_a_server_error,
            st_checks.status_code_conformance,
            st_checks.content_type_conformance,
            st_checks.response_schema_conformance,
            st_checks.response_headers_conformance,
        ]
    )
    assert response.status_code < 500
