"""Every members / password / session / token URL × persona → the expected status.

Personas as in tests/access.py, plus alice (org_admin: Acme AI's organisation admin). Object
URLs point at Acme AI objects (pat's membership, the demo's pending invitation) and at pat's own
session and token, so "another organisation" (gus) gets 404 and a practitioner (pat) 403 on the
admin actions; sessions and tokens are personal, so anyone but their owner gets 404.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.access import LOGIN

pytestmark = pytest.mark.django_db

ALL = ["anonymous", "same_org", "other_org", "assessor", "admin", "org_admin"]
SIGNED_IN = ALL[1:]
# Least to most privileged; destructive successes (alice, pat on their own objects) come last.
ORDER = ["anonymous", "other_org", "assessor", "admin", "org_admin", "same_org"]
ORDER_ADMIN_LAST = ["anonymous", "other_org", "assessor", "admin", "same_org", "org_admin"]


def _every(value: Any, anonymous: Any = LOGIN) -> dict[str, Any]:
    return {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, value)}


ORG_ADMIN_ACTION = {
    "anonymous": LOGIN,
    "same_org": 403,
    "other_org": 404,
    "assessor": 403,
    "admin": 403,
    "org_admin": 302,
}
OWNER_ONLY = {
    "anonymous": LOGIN,
    "other_org": 404,
    "assessor": 404,
    "admin": 404,
    "org_admin": 404,
    "same_org": 302,
}

# (method, url, data, expected)
ROWS: list[tuple[str, str, dict[str, str] | None, dict[str, Any]]] = [
    (
        "GET",
        "/organisation/",
        None,
        {
            "anonymous": LOGIN,
            "same_org": 200,
            "other_org": 200,
            "assessor": 403,
            "admin": 403,
            "org_admin": 200,
        },
    ),
    (
        "POST",
        "/organisation/invitations/",
        {"email": "matrix@example.org", "role": "practitioner"},
        {
            "anonymous": LOGIN,
            "same_org": 403,
            "other_org": 403,
            "assessor": 403,
            "admin": 403,
            "org_admin": 302,
        },
    ),
    ("POST", "/organisation/invitations/{inv}/resend/", {}, ORG_ADMIN_ACTION),
    ("POST", "/organisation/invitations/{inv}/cancel/", {}, ORG_ADMIN_ACTION),
    ("POST", "/organisation/members/{pm}/role/", {"role": "admin"}, ORG_ADMIN_ACTION),
    ("POST", "/organisation/members/{pm}/remove/", {}, ORG_ADMIN_ACTION),
    ("GET", "/invitations/not-a-real-link/", None, dict.fromkeys(ALL, 404)),
    ("GET", "/account/", None, _every(302)),
    ("GET", "/account/password/", None, _every(200)),
    ("GET", "/account/sessions/", None, _every(200)),
    ("GET", "/account/tokens/", None, _every(200)),
    ("POST", "/account/tokens/", {"name": "matrix", "lifetime": "30"}, _every(200)),
    ("POST", "/account/tokens/{token}/revoke/", {}, OWNER_ONLY),
    ("POST", "/account/sessions/{session}/end/", {}, OWNER_ONLY),
    ("POST", "/account/sessions/end-all/", {}, _every(302)),
    ("GET", "/accounts/password-reset/", None, dict.fromkeys(ALL, 200)),
    ("POST", "/accounts/password-reset/", {"email": "pat@acme.example"}, dict.fromkeys(ALL, 302)),
    ("GET", "/accounts/password-reset/sent/", None, dict.fromkeys(ALL, 200)),
    ("GET", "/accounts/reset/MQ/not-a-token/", None, dict.fromkeys(ALL, 200)),
    ("GET", "/accounts/reset/done/", None, dict.fromkeys(ALL, 200)),
    # Single sign-on (public; the provider admin's rows are in tests/accounts/oidc/test_sso_rules.py).
    ("GET", "/accounts/sign-in/sso/?email=pat@acme.example", None, dict.fromkeys(ALL, 200)),
    ("GET", "/accounts/oidc/start/?provider=999999", None, dict.fromkeys(ALL, 404)),
    ("GET", "/accounts/oidc/callback/?state=forged&code=x", None, dict.fromkeys(ALL, 400)),
]


@pytest.fixture
def objects(personas) -> dict[str, Any]:
    from accounts.models import ApiToken, Invitation, Membership, UserSession
    from accounts.services import api_token_issue

    api_token_issue(user=personas.pat, name="matrix")
    return {
        "pm": Membership.objects.get(user=personas.pat, organisation=personas.acme).pk,
        "inv": Invitation.objects.get(organisation=personas.acme, email="newcomer@acme.example").pk,
        "token": ApiToken.objects.get(user=personas.pat).pk,
        "session": UserSession.objects.create(user=personas.pat, key_hash="0" * 64).pk,
    }


@pytest.mark.parametrize("method,url,data,expected", ROWS, ids=[f"{m} {u}" for m, u, _, _ in ROWS])
def test_access_matrix(method, url, data, expected, personas, objects, settings):
    from django.core.cache import cache

    settings.RATELIMIT_ENABLE = False  # the matrix posts many reset requests
    cache.clear()
    users = {
        "anonymous": None,
        "same_org": personas.pat,
        "other_org": personas.gus,
        "assessor": personas.ada,
        "admin": personas.root,
        "org_admin": personas.alice,
    }
    target = url.format(**objects)
    failures = []
    order = ORDER_ADMIN_LAST if expected.get("org_admin") == 302 else ORDER
    for persona in order:
        c = Client()
        if users[persona] is not None:
            c.force_login(users[persona])
        resp = c.post(target, data) if method == "POST" else c.get(target)
        want = expected[persona]
        ok = (
            resp.status_code == 302 and "/accounts/sign-in/" in resp["Location"]
            if want == LOGIN
            else resp.status_code == want
        )
        if not ok:
            failures.append(f"{persona}: expected {want}, got {resp.status_code}")
    assert not failures, f"{method} {target}: " + "; ".join(failures)
