"""The subscriptions API: token only, the secret once, validation as JSON errors, owner-only."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
URL = "/api/certify/subscriptions/"


def call(client, method: str, url: str, token: str | None = None, body=None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    if body is None:
        return client.generic(method, url, **headers)
    return client.generic(
        method, url, data=__import__("json").dumps(body), content_type="application/json", **headers
    )


def test_create_list_read_delete(personas, make_mark, client, token_for, receiver):
    mark = make_mark()
    token = token_for(personas.pat)
    resp = call(client, "POST", URL, token, {"mark": mark.mark_id.lower(), "url": receiver.url})
    assert resp.status_code == 201, resp.content
    created = resp.json()
    assert created["mark"] == mark.mark_id
    assert created["secret"].startswith("whsec_")
    assert created["events"] == [
        "trustmark.suspended",
        "trustmark.reinstated",
        "trustmark.revoked",
        "trustmark.expired",
        "trustmark.renewed",
    ]
    listed = call(client, "GET", URL, token).json()["results"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0]  # shown once only
    one = call(client, "GET", f"{URL}{created['id']}/", token)
    assert one.status_code == 200 and "secret" not in one.json()
    assert call(client, "DELETE", f"{URL}{created['id']}/", token).status_code == 204
    assert call(client, "GET", f"{URL}{created['id']}/", token).status_code == 404


def test_every_mark_subscription_may_include_issuance(personas, client, token_for, receiver):
    resp = call(
        client,
        "POST",
        URL,
        token_for(personas.gus),
        {"mark": "*", "url": receiver.url, "events": ["trustmark.issued"]},
    )
    assert resp.status_code == 201
    assert resp.json()["mark"] == "*" and resp.json()["events"] == ["trustmark.issued"]


@pytest.mark.parametrize(
    "body,path",
    [
        ({"mark": "TM-99999", "url": "http://127.0.0.1:18899/x"}, "mark"),
        ({"mark": "nonsense", "url": "http://127.0.0.1:18899/x"}, "mark"),
        ({"mark": "{tm}", "url": "http://127.0.0.1:18899/x", "events": ["trustmark.issued"]}, "events"),
        ({"mark": "{tm}", "url": "http://127.0.0.1:18899/x", "events": ["user.created"]}, "events"),
        ({"mark": "{tm}", "url": "gopher://127.0.0.1/x"}, "url"),
        ({"mark": "{tm}"}, "url"),
        ({"mark": "{tm}", "url": "http://127.0.0.1:18899/x", "extra": 1}, "extra"),
        ({"mark": 142, "url": "http://127.0.0.1:18899/x"}, "mark"),
    ],
)
def test_bad_bodies_are_json_errors_with_a_field_path(personas, make_mark, client, token_for, body, path):
    mark = make_mark()
    body = {k: (v.replace("{tm}", mark.mark_id) if isinstance(v, str) else v) for k, v in body.items()}
    resp = call(client, "POST", URL, token_for(personas.pat), body)
    assert resp.status_code == 400, resp.content
    data = resp.json()
    assert data["message"]
    assert path in [e["path"] for e in data["errors"]]


def test_private_targets_refused_when_not_allowed(personas, make_mark, client, token_for, settings):
    settings.WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE = False
    mark = make_mark()
    token = token_for(personas.pat)
    for url in (
        "http://127.0.0.1:18850/x",
        "http://10.0.0.1/x",
        "http://169.254.169.254/",
        "http://[::1]/x",
        "http://localhost/x",
    ):
        resp = call(client, "POST", URL, token, {"mark": mark.mark_id, "url": url})
        assert resp.status_code == 400, url
        assert resp.json()["errors"][0]["path"] == "url"
    from notify.models import WebhookSubscription

    assert not WebhookSubscription.objects.exists()


def test_token_required_and_other_clients_subscriptions_are_not_found(
    personas, make_mark, client, client_for, token_for, receiver
):
    mark = make_mark()
    owner = token_for(personas.pat)
    sub = call(client, "POST", URL, owner, {"mark": mark.mark_id, "url": receiver.url}).json()
    detail, log = f"{URL}{sub['id']}/", f"{URL}{sub['id']}/deliveries/"
    # No token (anonymous, or a browser session without one): 401.
    for c in (client_for(None), client_for(personas.pat), client_for(personas.root)):
        for method, url in (("GET", URL), ("POST", URL), ("GET", detail), ("DELETE", detail), ("GET", log)):
            assert call(c, method, url, None, {} if method == "POST" else None).status_code == 401, (
                method,
                url,
            )
    assert call(client, "GET", URL, "wfos_not-a-token").status_code == 401
    # Another client (same organisation, another one, the assessor, the platform admin): 404.
    for user in (personas.alice, personas.gus, personas.ada, personas.root, personas.mia):
        other = token_for(user)
        assert call(client, "GET", detail, other).status_code == 404
        assert call(client, "GET", log, other).status_code == 404
        assert call(client, "DELETE", detail, other).status_code == 404
        assert call(client, "GET", URL, other).json()["results"] == []
    assert call(client, "GET", detail, owner).status_code == 200


def test_openapi_documents_the_subscription_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/certify/subscriptions/" in schema["paths"]
    assert "post" in schema["paths"]["/api/certify/subscriptions/"]
    assert "/api/certify/subscriptions/{id}/deliveries/" in schema["paths"]
