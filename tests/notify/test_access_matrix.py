"""Every notify URL × every persona (see tests/access.py).

Feeds, the e-mail subscription form and the confirm/unsubscribe links are public by design.
Webhook subscriptions are personal: the delivery-log pages show the signed-in user's own (the
platform admin sees all; anyone else's is 404), and the API takes an API token only, so a browser
session without one gets 401 (tokens: see test_api.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.access import LOGIN, PERSONAS, check_access

pytestmark = pytest.mark.django_db

PUBLIC = dict.fromkeys(PERSONAS, 200)
SIGNED_IN = {"anonymous": LOGIN, "same_org": 200, "other_org": 200, "assessor": 200, "admin": 200}
OWNER = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 404, "admin": 200}
NO_TOKEN = dict.fromkeys(PERSONAS, 401)
ADMIN_ONLY = {"anonymous": 302, "same_org": 302, "other_org": 302, "assessor": 302, "admin": 200}

ROWS: list[tuple[str, str, dict[str, Any], Any]] = [
    ("GET", "/verify/{tm}/feed.atom", PUBLIC, None),
    ("GET", "/verify/TM-99999/feed.atom", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/marks/feed.atom", PUBLIC, None),
    ("GET", "/verify/{tm}/subscribe", PUBLIC, None),
    ("POST", "/verify/{tm}/subscribe", PUBLIC, {"email": "matrix@procure.example"}),
    ("POST", "/verify/{tm}/subscribe", dict.fromkeys(PERSONAS, 400), {"email": "not an address"}),
    ("GET", "/verify/TM-99999/subscribe", dict.fromkeys(PERSONAS, 404), None),
    ("GET", "/notifications/confirm/whatever/", PUBLIC, None),
    ("POST", "/notifications/confirm/whatever/", dict.fromkeys(PERSONAS, 400), {}),
    ("GET", "/notifications/unsubscribe/whatever/", PUBLIC, None),
    ("POST", "/notifications/unsubscribe/whatever/", PUBLIC, {}),
    ("GET", "/notifications/webhooks/", SIGNED_IN, None),
    ("GET", "/notifications/webhooks/{sub}/", OWNER, None),
    ("GET", "/notifications/webhooks/999999/", {**dict.fromkeys(PERSONAS, 404), "anonymous": LOGIN}, None),
    ("GET", "/api/certify/subscriptions/", NO_TOKEN, None),
    ("POST", "/api/certify/subscriptions/", NO_TOKEN, {"mark": "*", "url": "http://127.0.0.1:18898/"}),
    ("GET", "/api/certify/subscriptions/{sub}/", NO_TOKEN, None),
    ("DELETE", "/api/certify/subscriptions/{sub}/", NO_TOKEN, None),
    ("GET", "/api/certify/subscriptions/{sub}/deliveries/", NO_TOKEN, None),
    ("GET", "/admin/notify/webhooksubscription/", ADMIN_ONLY, None),
    ("GET", "/admin/notify/webhookdelivery/", ADMIN_ONLY, None),
    ("GET", "/admin/notify/emailsubscription/", ADMIN_ONLY, None),
    ("GET", "/admin/notify/expiryreminder/", ADMIN_ONLY, None),
]


@pytest.fixture
def notify_objects(personas, rubric_version, settings) -> dict[str, Any]:
    settings.WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE = True  # a receiver address on this machine
    settings.WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS = False
    from notify.services import webhook_subscription_create
    from tests.trustmarks.helpers import issue_mark

    mark = issue_mark(personas, rubric_version)
    sub = webhook_subscription_create(
        owner=personas.pat, mark_id=mark.mark_id, url="http://127.0.0.1:18898/x"
    )
    return {"tm": mark.mark_id, "sub": sub.subscription.pk}


@pytest.mark.parametrize("method,url,expected,data", ROWS, ids=[f"{m} {u}" for m, u, _, _ in ROWS])
def test_access_matrix(
    method: str,
    url: str,
    expected: dict[str, Any],
    data: Any,
    personas,
    notify_objects,
    client_for: Callable[..., Any],
):
    assert not check_access(client_for, personas, method, url, expected, notify_objects, data)


def test_subscriptions_are_personal_even_within_the_organisation(personas, notify_objects, client_for):
    # alice (Acme's admin) and mia (adviser in Acme) do not see pat's subscription.
    for user in (personas.alice, personas.mia):
        assert client_for(user).get(f"/notifications/webhooks/{notify_objects['sub']}/").status_code == 404
    listing = client_for(personas.root).get("/notifications/webhooks/?all=1")
    assert b"127.0.0.1:18898" in listing.content
    assert b"127.0.0.1:18898" not in client_for(personas.gus).get("/notifications/webhooks/?all=1").content
