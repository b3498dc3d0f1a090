"""Single sign-on end to end: the live server and a real OpenID Provider (oidc-provider on node),
driven over real HTTP with requests, redirects and cookies as a browser would."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.core.cache import cache

from tests.accounts.oidc.conftest import CLIENT_ID, CLIENT_SECRET, SECRET_ENV, RunningProvider


@pytest.fixture(autouse=True)
def _clean_throttle():
    cache.clear()
    yield
    cache.clear()


def make_provider(personas: Any, issuer: str, **fields: Any) -> Any:
    from accounts.models import OidcProvider

    values = {
        "organisation": personas.acme,
        "name": "Acme Identity",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret_env": SECRET_ENV,
        "allowed_domains": "acme.example",
        **fields,
    }
    return OidcProvider.objects.create(**values)


@pytest.fixture
def acme_sso(personas: Any, op: RunningProvider, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    return make_provider(personas, op.issuer)


class Browser:
    """A cookie jar that follows redirects one by one, so a test can tamper with one."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def csrf(self) -> str:
        if "csrftoken" not in self.http.cookies:
            self.http.get(f"{self.base}/accounts/sign-in/", timeout=10)
        return str(self.http.cookies["csrftoken"])

    def discover(self, email: str) -> requests.Response:
        """The sign-in page without JavaScript: type the address, press "Continue with single sign-on"."""
        return self.http.post(
            f"{self.base}/accounts/sign-in/",
            data={"csrfmiddlewaretoken": self.csrf(), "email": email, "password": "", "sso": "1", "next": ""},
            timeout=10,
        )

    def start(self, provider_id: int, email: str, next_url: str = "") -> requests.Response:
        """Press "Sign in with …" (a link)."""
        return self.http.get(
            f"{self.base}/accounts/oidc/start/",
            params={"provider": provider_id, "email": email, "next": next_url},
            allow_redirects=False,
            timeout=10,
        )

    def follow(
        self, response: requests.Response, rewrite: Callable[[str], str] | None = None
    ) -> requests.Response:
        """Follow redirects; ``rewrite`` may change the URL of the redirect back to WorkflowOS."""
        for _ in range(20):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            target = requests.compat.urljoin(response.url, response.headers["Location"])
            if rewrite and target.startswith(f"{self.base}/accounts/oidc/callback/"):
                target = rewrite(target)
            response = self.http.get(target, allow_redirects=False, timeout=10)
        raise AssertionError("too many redirects")

    def sso(self, provider_id: int, email: str, **kw: Any) -> requests.Response:
        return self.follow(self.start(provider_id, email), **kw)


def _users(email: str) -> int:
    from accounts.models import User

    return User.objects.filter(email__iexact=email).count()


def _refused(response: requests.Response, *phrases: str) -> None:
    assert 400 <= response.status_code < 500 or response.status_code in (502, 503), response.status_code
    assert "/accounts/oidc/callback/" in response.url or "/accounts/oidc/start/" in response.url
    page = response.text
    assert 'data-testid="sso-error"' in page, page[:2000]
    for phrase in phrases:
        assert phrase in page, page[:3000]


def test_domain_discovery_offers_the_provider_without_javascript(live_server, acme_sso):
    b = Browser(live_server.url)
    page = b.discover("jo@acme.example").text
    assert "Sign in with Acme Identity" in page
    assert f"/accounts/oidc/start/?provider={acme_sso.pk}&amp;email=jo%40acme.example" in page
    other = b.discover("someone@elsewhere.example").text
    assert "Sign in with" not in other
    assert "No single sign-on is set up for elsewhere.example addresses" in other
    # htmx asks the same question as the address is typed.
    assert (
        "Sign in with Acme Identity"
        in b.http.get(
            f"{live_server.url}/accounts/sign-in/sso/", params={"email": "jo@acme.example"}, timeout=10
        ).text
    )


def test_new_address_signs_in_and_joins_just_in_time(live_server, acme_sso, mailoutbox):
    from accounts.models import Membership, User, UserSession
    from core.models import AuditEvent

    b = Browser(live_server.url)
    page = b.discover("jo@acme.example").text
    link = re.search(r'href="(/accounts/oidc/start/[^"]+)"', page)
    assert link, page
    done = b.follow(b.http.get(live_server.url + link.group(1).replace("&amp;", "&"), allow_redirects=False))
    assert done.status_code == 200, done.text[:2000]
    assert done.url == f"{live_server.url}/dashboard/"
    assert "Acme AI" in done.text  # the provider's organisation is the active one
    jo = User.objects.get(email="jo@acme.example")
    assert jo.name == "Jo New"
    assert not jo.has_usable_password()
    membership = Membership.objects.get(user=jo)
    assert membership.organisation == acme_sso.organisation
    assert membership.role == Membership.PRACTITIONER
    # Recorded like a password sign-in: a session row, last_login.
    assert UserSession.objects.filter(user=jo, ended__isnull=True).count() == 1
    jo.refresh_from_db()
    assert jo.last_login is not None
    actions = list(AuditEvent.objects.filter(actor_email="jo@acme.example").values_list("action", flat=True))
    assert actions == ["member.joined_sso", "sso.signed_in"]
    assert any("jo@acme.example" in m.to for m in mailoutbox)
    # Signed in for real: a member page answers.
    assert b.http.get(f"{live_server.url}/organisation/", timeout=10).status_code == 200


def test_existing_member_signs_in_with_the_default_role_untouched(live_server, acme_sso, personas):
    from accounts.models import Membership, User

    acme_sso.default_role = Membership.ADMIN
    acme_sso.save()
    before = Membership.objects.get(user=personas.pat, organisation=personas.acme).role
    done = Browser(live_server.url).sso(
        acme_sso.pk,
        "pat@acme.example",
    )
    assert done.url.endswith("/dashboard/")
    assert Membership.objects.get(user=personas.pat, organisation=personas.acme).role == before
    assert User.objects.filter(email="pat@acme.example").count() == 1


def test_new_member_gets_the_providers_default_role(live_server, acme_sso):
    from accounts.models import Membership

    acme_sso.default_role = Membership.ADMIN
    acme_sso.save()
    Browser(live_server.url).sso(acme_sso.pk, "jo@acme.example")
    assert Membership.objects.get(user__email="jo@acme.example").role == Membership.ADMIN


def test_unverified_email_is_refused(live_server, acme_sso):
    from core.models import AuditEvent

    r = Browser(live_server.url).sso(acme_sso.pk, "unverified@acme.example")
    _refused(r, "has not verified the address unverified@acme.example")
    assert "Sign in with Acme Identity" in r.text  # the page offers to start again
    assert _users("unverified@acme.example") == 0
    assert AuditEvent.objects.filter(action="sso.refused", actor_email="unverified@acme.example").exists()


def test_domain_not_allowed_is_refused(live_server, acme_sso):
    r = Browser(live_server.url).sso(acme_sso.pk, "eve@elsewhere.example")
    _refused(r, "eve@elsewhere.example is not in a domain that Acme AI allows")
    assert _users("eve@elsewhere.example") == 0


def test_state_mismatch_is_refused(live_server, acme_sso):
    b = Browser(live_server.url)
    r = b.sso(acme_sso.pk, "jo@acme.example", rewrite=lambda url: re.sub(r"state=[^&]+", "state=forged", url))
    _refused(r, "the state does not match")
    assert _users("jo@acme.example") == 0
    # A callback replayed (its state was used) or carried to another browser is refused too.
    captured: list[str] = []
    b.sso(acme_sso.pk, "jo@acme.example", rewrite=lambda url: captured.append(url) or url)
    assert _users("jo@acme.example") == 1
    replayed = b.http.get(captured[0], timeout=10)
    _refused(replayed, "the state does not match")
    _refused(requests.get(captured[0], timeout=10), "the state does not match")


def test_wrong_audience_is_refused(live_server, personas, start_op, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    mixup = start_op(idTokenAudience="another-app")  # mints ID tokens for another client
    provider = make_provider(personas, mixup.issuer)
    r = Browser(live_server.url).sso(provider.pk, "jo@acme.example")
    _refused(r, "was issued for another application (wrong audience)")
    assert _users("jo@acme.example") == 0


def test_expired_id_token_is_refused(live_server, personas, start_op, monkeypatch, settings):
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    # The provider's clock is 10 minutes slow and its ID tokens live 60 s: each one arrives 9
    # minutes past its expiry, well beyond the 60 s of allowed clock skew.
    settings.OIDC_CLOCK_SKEW_SECONDS = 60
    slow = start_op(clockOffsetSeconds=-600, idTokenTtlSeconds=60)
    provider = make_provider(personas, slow.issuer)
    r = Browser(live_server.url).sso(provider.pk, "jo@acme.example")
    _refused(r, "has expired")
    assert _users("jo@acme.example") == 0


def test_wrong_issuer_is_refused_before_leaving(live_server, personas, op, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    # Same provider, reached by another name: its discovery document names another issuer.
    provider = make_provider(personas, op.issuer.replace("127.0.0.1", "localhost"))
    r = Browser(live_server.url).start(provider.pk, "jo@acme.example")
    _refused(r, "names a different issuer")
    assert _users("jo@acme.example") == 0


def test_wrong_client_secret_is_refused(live_server, acme_sso, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "not-the-secret")
    r = Browser(live_server.url).sso(acme_sso.pk, "jo@acme.example")
    _refused(r, "refused to complete the sign-in (invalid_client)")
    assert _users("jo@acme.example") == 0


def test_removed_member_is_not_added_back(live_server, acme_sso, personas):
    from accounts.models import Membership
    from accounts.services.members import membership_remove

    membership_remove(
        membership=Membership.objects.get(user=personas.pat, organisation=personas.acme), actor=personas.alice
    )
    r = Browser(live_server.url).sso(acme_sso.pk, "pat@acme.example")
    _refused(r, "removed pat@acme.example from the organisation", "Ask an admin to invite you again")
    assert not Membership.objects.filter(user=personas.pat, organisation=personas.acme).exists()


def test_platform_admin_cannot_use_an_organisations_sso(live_server, acme_sso):
    acme_sso.allowed_domains = "acme.example\nworkflowos.example"
    acme_sso.save()
    r = Browser(live_server.url).sso(acme_sso.pk, "root@workflowos.example")
    _refused(r, "Platform admin accounts sign in with their password")


def test_refused_sso_counts_toward_the_sign_in_throttle(live_server, acme_sso, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    b = Browser(live_server.url)
    for _ in range(2):
        _refused(b.sso(acme_sso.pk, "unverified@acme.example"), "has not verified")
    locked = b.sso(acme_sso.pk, "unverified@acme.example")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text


def test_a_locked_address_cannot_finish_sso(live_server, personas, start_op, monkeypatch, settings):
    from accounts.models import UserSession
    from accounts.throttle import sign_in_failed

    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    provider = make_provider(personas, start_op(defaultAccount="pat@acme.example").issuer)
    request = type("R", (), {"META": {"REMOTE_ADDR": "127.0.0.1"}})()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in_failed(request, "pat@acme.example")  # type: ignore[arg-type]
    b = Browser(live_server.url)
    # Started without typing an address, so only the provider's answer names the account.
    r = b.sso(provider.pk, "")
    assert r.status_code == 429
    assert "Too many failed sign-in attempts" in r.text
    assert r.headers["Retry-After"]
    assert not UserSession.objects.filter(user__email="pat@acme.example").exists()
    # Typed on the sign-in page, the address is refused before leaving for the provider.
    early = b.start(provider.pk, "pat@acme.example")
    assert early.status_code == 429 and "/accounts/oidc/start/" in early.url


def test_an_answer_naming_another_issuer_is_refused(live_server, acme_sso):
    # RFC 9207: oidc-provider names itself in the redirect back; a different name is a mix-up.
    r = Browser(live_server.url).sso(
        acme_sso.pk,
        "jo@acme.example",
        rewrite=lambda url: re.sub(r"iss=[^&]+", "iss=https%3A%2F%2Fattacker.example", url),
    )
    _refused(r, "(wrong issuer)")
    assert _users("jo@acme.example") == 0
