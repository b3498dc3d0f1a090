"""Every sign-up / verification / export / deletion URL × persona → the expected status.

Personas as in tests/accounts/test_access_matrix.py (anonymous, pat, gus, ada, root, alice) plus
mia (adviser in two organisations) and "unverified" (a fresh self-service sign-up who has not
opened the link yet: kept to the verification pages). These URLs are all about the signed-in
person, never another organisation's objects, so there is no 404-for-outsiders row here; the
verification link itself is the access check (a wrong one is 404 for everyone).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.access import LOGIN

pytestmark = pytest.mark.django_db

VERIFY = "verify"  # a redirect to the "verify your address" page
PASSWORD = "saffron-quarry-window-73"
VERIFIED = ["same_org", "other_org", "assessor", "admin", "org_admin", "adviser"]
ALL = ["anonymous", *VERIFIED, "unverified"]


def _row(anonymous: Any, verified: Any, unverified: Any = VERIFY) -> dict[str, Any]:
    return {"anonymous": anonymous, **dict.fromkeys(VERIFIED, verified), "unverified": unverified}


# (signup mode, method, url, data, expected)
ROWS: list[tuple[str, str, str, dict[str, str] | None, dict[str, Any]]] = [
    ("open", "GET", "/accounts/sign-up/", None, _row(200, 302)),
    (
        "open",
        "POST",
        "/accounts/sign-up/",
        {"email": "matrix@example.org", "name": "M", "password1": PASSWORD, "password2": PASSWORD},
        _row(302, 302),
    ),
    ("open", "POST", "/accounts/sign-up/", {"email": "bad"}, _row(400, 400)),
    ("open", "GET", "/accounts/sign-up/sent/", None, _row(200, 200, 200)),
    ("invite-only", "GET", "/accounts/sign-up/", None, _row(200, 200)),
    ("invite-only", "POST", "/accounts/sign-up/", {"email": "matrix@example.org"}, _row(403, 403)),
    ("closed", "GET", "/accounts/sign-up/", None, _row(404, 404)),
    ("closed", "POST", "/accounts/sign-up/", {"email": "matrix@example.org"}, _row(404, 404)),
    ("closed", "GET", "/accounts/sign-up/sent/", None, _row(404, 404, 404)),
    ("open", "GET", "/accounts/verify-email/", None, _row(LOGIN, 302, 200)),
    ("open", "POST", "/accounts/verify-email/resend/", {}, _row(LOGIN, 302, 302)),
    ("open", "GET", "/accounts/verify-email/not-a-real-link/", None, _row(404, 404, 404)),
    ("open", "POST", "/accounts/verify-email/not-a-real-link/", {}, _row(404, 404, 404)),
    ("open", "GET", "/accounts/welcome/", None, _row(LOGIN, 200)),
    ("open", "POST", "/accounts/welcome/", {"choice": "personal"}, _row(LOGIN, 302)),
    ("open", "POST", "/accounts/welcome/", {"choice": "organisation"}, _row(LOGIN, 400)),
    ("invite-only", "GET", "/accounts/welcome/", None, _row(LOGIN, 404)),
    ("closed", "POST", "/accounts/welcome/", {"choice": "personal"}, _row(LOGIN, 404)),
    ("open", "GET", "/account/export/", None, _row(LOGIN, 200)),
    ("open", "GET", "/account/delete/", None, _row(LOGIN, 200)),
    ("open", "POST", "/account/delete/", {"password": "not-the-password"}, _row(LOGIN, 400)),
    ("open", "GET", "/dashboard/", None, _row(LOGIN, 200)),
    ("open", "GET", "/api/me/", None, _row(401, 200, 403)),
]


@pytest.mark.parametrize(
    "mode,method,url,data,expected", ROWS, ids=[f"{m} {me} {u}" for m, me, u, _, _ in ROWS]
)
def test_signup_access_matrix(mode, method, url, data, expected, personas, settings):
    from django.core.cache import cache

    from accounts.services.signup import user_sign_up

    settings.WORKFLOWOS_SIGNUP = "open"
    settings.RATELIMIT_ENABLE = False
    cache.clear()
    unverified = user_sign_up(email="unverified@example.org", name="Una", password=PASSWORD)
    settings.WORKFLOWOS_SIGNUP = mode
    users = {
        "anonymous": None,
        "same_org": personas.pat,
        "other_org": personas.gus,
        "assessor": personas.ada,
        "admin": personas.root,
        "org_admin": personas.alice,
        "adviser": personas.mia,
        "unverified": unverified,
    }
    failures = []
    for persona in ALL:
        c = Client()
        if users[persona] is not None:
            c.force_login(users[persona])
        resp = c.post(url, data) if method == "POST" else c.get(url)
        want = expected[persona]
        if want == LOGIN:
            ok = resp.status_code == 302 and "/accounts/sign-in/" in resp["Location"]
        elif want == VERIFY:
            ok = resp.status_code == 302 and resp["Location"] == "/accounts/verify-email/"
        else:
            ok = resp.status_code == want
        if not ok:
            failures.append(f"{persona}: expected {want}, got {resp.status_code} {resp.get('Location', '')}")
    assert not failures, f"{mode} {method} {url}: " + "; ".join(failures)
