"""Single sign-on without a provider process: domain discovery, refusals before leaving for the
provider (unreachable, throttled, unknown), just-in-time rules, the admin, and the access matrix."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.oidc.errors import SsoError

pytestmark = pytest.mark.django_db

SECRET = "stored-client-secret-5f1c"


@pytest.fixture(autouse=True)
def _clean_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme_sso(personas: Any) -> Any:
    from accounts.models import OidcProvider

    # Port 18199 is in this suite's range and nothing listens there: the provider is unreachable.
    return OidcProvider.objects.create(
        organisation=personas.acme,
        name="Acme <Identity>",
        issuer="http://127.0.0.1:18199",
        client_id="workflowos",
        client_secret=SECRET,
        allowed_domains="acme.example\nacme-labs.example",
    )


def test_discovery_lists_only_enabled_providers_of_the_domain(acme_sso, client):
    from accounts.selectors import oidc_providers_for_email

    assert oidc_providers_for_email(email="jo@ACME.example") == [acme_sso]
    assert oidc_providers_for_email(email="jo@labs.acme.example") == []  # no suffix matching
    assert oidc_providers_for_email(email="jo@acme.example.evil") == []
    assert oidc_providers_for_email(email="not-an-address") == []
    acme_sso.enabled = False
    acme_sso.save()
    assert oidc_providers_for_email(email="jo@acme.example") == []


def test_discovery_partial_escapes_the_names(acme_sso, client):
    page = client.get("/accounts/sign-in/sso/", {"email": 'x"><script>@acme.example'}).content.decode()
    assert "<script>" not in page
    assert "email=x%22%3E%3Cscript%3E%40acme.example" in page
    page = client.get("/accounts/sign-in/sso/", {"email": "jo@acme.example"}).content.decode()
    assert "Sign in with Acme &lt;Identity&gt;" in page
    assert 'href="/accounts/oidc/start/?provider=' in page


def test_password_sign_in_is_unchanged_for_an_sso_domain(acme_sso, client, settings):
    resp = client.post(
        "/accounts/sign-in/", {"email": "pat@acme.example", "password": settings.DEMO_PASSWORD}
    )
    assert resp.status_code == 302
    # An address without a password shows the SSO button instead of an error.
    resp = Client().post("/accounts/sign-in/", {"email": "pat@acme.example", "password": ""})
    assert resp.status_code == 200
    assert "Sign in with Acme &lt;Identity&gt;" in resp.content.decode()


def test_unreachable_provider_is_a_clear_message(acme_sso, client):
    resp = client.get("/accounts/oidc/start/", {"provider": acme_sso.pk, "email": "jo@acme.example"})
    assert resp.status_code == 502
    page = resp.content.decode()
    assert "could not be reached just now" in page and 'data-testid="sso-error"' in page


def test_unknown_or_disabled_provider_is_refused(acme_sso, client):
    assert client.get("/accounts/oidc/start/", {"provider": 999999}).status_code == 404
    assert client.get("/accounts/oidc/start/", {"provider": "x"}).status_code == 400
    acme_sso.enabled = False
    acme_sso.save()
    resp = client.get("/accounts/oidc/start/", {"provider": acme_sso.pk})
    assert resp.status_code == 404
    assert "not available" in resp.content.decode()


def test_callback_without_a_started_sign_in_is_a_state_mismatch(client):
    resp = client.get("/accounts/oidc/callback/", {"state": "made-up", "code": "abc"})
    assert resp.status_code == 400
    assert "the state does not match" in resp.content.decode()


def test_a_locked_address_cannot_start_sso(acme_sso, client, settings):
    from accounts.throttle import sign_in_failed

    request = client.get("/accounts/sign-in/").wsgi_request
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in_failed(request, "jo@acme.example")
    resp = client.get("/accounts/oidc/start/", {"provider": acme_sso.pk, "email": "jo@acme.example"})
    assert resp.status_code == 429
    assert "Too many failed sign-in attempts" in resp.content.decode()
    assert resp["Retry-After"]


def _claims(**extra: Any) -> dict[str, Any]:
    claims = {"email": "jo@acme.example", "email_verified": True, "name": "Jo", **extra}
    claims.setdefault("sub", f"sub-{str(claims['email']).lower()}")
    return claims


def test_jit_refusals_leave_no_account(acme_sso):
    from accounts.models import User
    from accounts.services.sso import sso_member_for_claims

    for claims, code in [
        (_claims(email_verified=False), "email_unverified"),
        (_claims(email_verified="false"), "email_unverified"),
        (_claims(email="jo@elsewhere.example"), "domain_not_allowed"),
        (_claims(email=""), "no_email"),
        (_claims(email="not an address"), "no_email"),
    ]:
        with pytest.raises(SsoError) as caught:
            sso_member_for_claims(provider=acme_sso, claims=claims)
        assert caught.value.code == code
    assert not User.objects.filter(email__in=["jo@acme.example", "jo@elsewhere.example"]).exists()


def test_jit_joins_with_the_default_role_and_string_true(acme_sso):
    from accounts.models import Membership
    from accounts.services.sso import sso_member_for_claims

    user = sso_member_for_claims(
        provider=acme_sso, claims=_claims(email_verified="true", email="Jo@Acme.example")
    )
    assert user.email == "jo@acme.example"
    assert Membership.objects.get(user=user).role == acme_sso.default_role
    again = sso_member_for_claims(provider=acme_sso, claims=_claims())
    assert again == user and Membership.objects.filter(user=user).count() == 1


def test_the_providers_subject_is_linked_at_the_first_sign_in(acme_sso, personas):
    from accounts.models import OidcIdentity
    from accounts.services.sso import sso_member_for_claims

    pat = sso_member_for_claims(provider=acme_sso, claims=_claims(email="pat@acme.example", sub="okta-pat"))
    link = OidcIdentity.objects.get(provider=acme_sso, subject="okta-pat")
    assert link.user == pat == personas.pat
    # The address changed at the provider: the subject still signs in the same account.
    again = sso_member_for_claims(
        provider=acme_sso, claims=_claims(email="pat.new@acme.example", sub="okta-pat")
    )
    assert again == personas.pat
    # The old address now belongs to someone else at the provider: not pat's account.
    with pytest.raises(SsoError) as caught:
        sso_member_for_claims(
            provider=acme_sso, claims=_claims(email="pat@acme.example", sub="okta-someone-else")
        )
    assert caught.value.code == "identity_mismatch"
    assert OidcIdentity.objects.count() == 1


def test_a_refusal_links_nothing(acme_sso):
    from accounts.models import OidcIdentity
    from accounts.services.sso import sso_member_for_claims

    acme_sso.auto_join = False
    acme_sso.save()
    with pytest.raises(SsoError):
        sso_member_for_claims(provider=acme_sso, claims=_claims())
    with pytest.raises(SsoError) as caught:
        sso_member_for_claims(provider=acme_sso, claims=_claims(sub=""))
    assert caught.value.code == "no_subject"
    assert not OidcIdentity.objects.exists()


def test_existing_account_joins_another_organisation_just_in_time(acme_sso, personas):
    from accounts.models import Membership, User
    from accounts.services.sso import sso_member_for_claims

    # An account of an allowed domain that is not a member yet joins, and keeps its password.
    outsider = User.objects.create_user("sam@acme-labs.example", "a-long-password-42")
    user = sso_member_for_claims(provider=acme_sso, claims=_claims(email="sam@acme-labs.example"))
    assert user == outsider and user.has_usable_password()
    assert Membership.objects.filter(user=user, organisation=personas.acme).exists()


def test_auto_join_off_admits_members_only(acme_sso, personas):
    from accounts.services.sso import sso_member_for_claims

    acme_sso.auto_join = False
    acme_sso.save()
    assert sso_member_for_claims(provider=acme_sso, claims=_claims(email="pat@acme.example")) == personas.pat
    with pytest.raises(SsoError) as caught:
        sso_member_for_claims(provider=acme_sso, claims=_claims())
    assert caught.value.code == "not_a_member"


def test_removal_blocks_jit_until_invited_again(acme_sso, personas):
    from accounts.models import Membership, SsoRemoval
    from accounts.services.members import invitation_accept_existing, invitation_create, membership_remove
    from accounts.services.sso import sso_member_for_claims

    pat_claims = _claims(email="pat@acme.example")
    membership_remove(
        membership=Membership.objects.get(user=personas.pat, organisation=personas.acme), actor=personas.alice
    )
    assert SsoRemoval.objects.filter(organisation=personas.acme, email="pat@acme.example").exists()
    with pytest.raises(SsoError) as caught:
        sso_member_for_claims(provider=acme_sso, claims=pat_claims)
    assert caught.value.code == "member_removed"
    _, raw = invitation_create(
        organisation=personas.acme, email="pat@acme.example", role="practitioner", actor=personas.alice
    )
    invitation_accept_existing(raw=raw, user=personas.pat)
    assert not SsoRemoval.objects.exists()
    assert sso_member_for_claims(provider=acme_sso, claims=pat_claims) == personas.pat


def test_platform_admin_and_disabled_accounts_are_refused(acme_sso, personas):
    from accounts.services.sso import sso_member_for_claims

    acme_sso.allowed_domains = "acme.example\nworkflowos.example"
    acme_sso.save()
    with pytest.raises(SsoError) as caught:
        sso_member_for_claims(provider=acme_sso, claims=_claims(email="root@workflowos.example"))
    assert caught.value.code == "platform_account"
    personas.pat.is_active = False
    personas.pat.save()
    with pytest.raises(SsoError) as caught:
        sso_member_for_claims(provider=acme_sso, claims=_claims(email="pat@acme.example"))
    assert caught.value.code == "account_disabled"


def test_secret_from_the_environment_wins(acme_sso, monkeypatch):
    from accounts.oidc.backend import client_secret

    assert client_secret(acme_sso) == SECRET
    acme_sso.client_secret_env = "ACME_OIDC_SECRET"
    monkeypatch.setenv("ACME_OIDC_SECRET", "from-env")
    assert client_secret(acme_sso) == "from-env"
    acme_sso.client_secret = ""
    monkeypatch.delenv("ACME_OIDC_SECRET")
    with pytest.raises(SsoError) as caught:
        client_secret(acme_sso)
    assert caught.value.code == "provider_misconfigured"


# --- the admin ---------------------------------------------------------------------------------


def _admin_form(personas: Any, **values: Any) -> dict[str, Any]:
    return {
        "organisation": personas.acme.pk,
        "name": "Acme Okta",
        "issuer": "https://acme.okta.example",
        "client_id": "wfos",
        "client_secret_env": "",
        "client_secret": "",
        "allowed_domains": "Acme.example, @acme-labs.example",
        "default_role": "practitioner",
        "auto_join": "on",
        "enabled": "on",
        **values,
    }


def test_admin_never_shows_the_secret_back(personas, client_for):
    from accounts.models import OidcProvider

    root = client_for(personas.root)
    resp = root.post("/admin/accounts/oidcprovider/add/", _admin_form(personas, client_secret=SECRET))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    provider = OidcProvider.objects.get()
    assert provider.client_secret == SECRET
    assert provider.domains == ["acme-labs.example", "acme.example"]
    change = f"/admin/accounts/oidcprovider/{provider.pk}/change/"
    assert SECRET not in root.get(change).content.decode()
    assert SECRET not in root.get("/admin/accounts/oidcprovider/").content.decode()
    root.post(change, _admin_form(personas, name="Renamed"))  # secret left empty: kept
    provider.refresh_from_db()
    assert (provider.name, provider.client_secret) == ("Renamed", SECRET)
    root.post(change, _admin_form(personas, client_secret_env="ACME_SECRET", clear_client_secret="on"))
    provider.refresh_from_db()
    assert (provider.client_secret_env, provider.client_secret) == ("ACME_SECRET", "")


@pytest.mark.parametrize(
    "values,field",
    [
        ({"issuer": "http://idp.acme.example"}, "https://"),
        ({"allowed_domains": "not a domain!"}, "is not a domain name"),
        ({"client_secret_env": "BAD-NAME"}, "environment variable name"),
        ({}, "Name the environment variable"),
    ],
)
def test_admin_refuses_bad_settings(personas, client_for, values, field):
    from accounts.models import OidcProvider

    resp = client_for(personas.root).post(
        "/admin/accounts/oidcprovider/add/", _admin_form(personas, **values)
    )
    assert resp.status_code == 200
    assert field in resp.content.decode()
    assert not OidcProvider.objects.exists()


# --- the access matrix -------------------------------------------------------------------------

ADMIN_ONLY = {
    "anonymous": "admin-login",
    "pat": "admin-login",
    "alice": "admin-login",
    "mia": "admin-login",
    "ada": "admin-login",
    "gus": "admin-login",
    "root": 200,
}
PUBLIC = ["anonymous", "pat", "alice", "mia", "ada", "gus", "root"]


def _rows(provider_id: int) -> list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]]:
    return [
        ("GET", "/accounts/sign-in/sso/?email=jo@acme.example", None, dict.fromkeys(PUBLIC, 200)),
        ("GET", f"/accounts/oidc/start/?provider={provider_id}", None, dict.fromkeys(PUBLIC, 502)),
        ("GET", "/accounts/oidc/start/?provider=999999", None, dict.fromkeys(PUBLIC, 404)),
        ("POST", "/accounts/oidc/start/", {"provider": provider_id}, dict.fromkeys(PUBLIC, 405)),
        ("GET", "/accounts/oidc/callback/?state=x&code=y", None, dict.fromkeys(PUBLIC, 400)),
        ("GET", "/admin/accounts/oidcprovider/", None, ADMIN_ONLY),
        ("GET", "/admin/accounts/oidcprovider/add/", None, ADMIN_ONLY),
        ("GET", f"/admin/accounts/oidcprovider/{provider_id}/change/", None, ADMIN_ONLY),
        ("GET", "/admin/accounts/ssoremoval/", None, ADMIN_ONLY),
        ("GET", "/admin/accounts/oidcidentity/", None, ADMIN_ONLY),
    ]


def test_access_matrix(acme_sso, personas, client_for):
    users = {
        "anonymous": None,
        "pat": personas.pat,
        "alice": personas.alice,
        "mia": personas.mia,
        "ada": personas.ada,
        "gus": personas.gus,
        "root": personas.root,
    }
    failures = []
    for method, url, data, expected in _rows(acme_sso.pk):
        for persona, want in expected.items():
            c = client_for(users[persona])
            resp = c.post(url, data or {}) if method == "POST" else c.get(url)
            ok = (
                resp.status_code == 302 and "/admin/login/" in resp["Location"]
                if want == "admin-login"
                else resp.status_code == want
            )
            if not ok:
                failures.append(f"{method} {url} as {persona}: expected {want}, got {resp.status_code}")
    assert not failures, "\n".join(failures)


def test_start_keeps_an_authorization_endpoint_with_a_query(acme_sso, client, monkeypatch):
    from urllib.parse import parse_qs, urlsplit

    from accounts.oidc import views
    from accounts.oidc.discovery import ProviderMetadata

    metadata = ProviderMetadata(
        issuer=acme_sso.issuer,
        authorization_endpoint="https://idp.example/authorize?p=b2c_1_signin",
        token_endpoint="https://idp.example/token",
        jwks_uri="https://idp.example/jwks",
    )
    monkeypatch.setattr(views, "provider_metadata", lambda provider: metadata)
    resp = client.get(
        "/accounts/oidc/start/", {"provider": acme_sso.pk, "email": "jo@acme.example", "next": "/studio/"}
    )
    assert resp.status_code == 302
    location = urlsplit(resp["Location"])
    query = parse_qs(location.query)
    assert location.path == "/authorize" and query["p"] == ["b2c_1_signin"]
    assert query["client_id"] == ["workflowos"] and query["login_hint"] == ["jo@acme.example"]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    entry = client.session["oidc_states"][query["state"][0]]
    assert (entry["provider"], entry["email"], entry["next"]) == (acme_sso.pk, "jo@acme.example", "/studio/")


def test_discovery_carries_the_destination(acme_sso, client):
    page = client.get(
        "/accounts/sign-in/sso/", {"email": "jo@acme.example", "next": "/studio/"}
    ).content.decode()
    assert "next=%2Fstudio%2F" in page
    page = client.get("/accounts/sign-in/sso/", {"email": "jo@acme.example", "next": "https://evil.example/"})
    assert "evil" not in page.content.decode()
