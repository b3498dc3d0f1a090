"""Single sign-on in Chromium: the address typed on the sign-in page brings up the organisation's
provider (htmx domain discovery), and its button signs in through a real OpenID Provider."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.oidc.conftest import (  # noqa: F401  (fixtures)
    CLIENT_ID,
    CLIENT_SECRET,
    SECRET_ENV,
    oidc_node_path,
    op,
)


@pytest.mark.local_server  # the provider sends the browser back to this process's live server
def test_sign_in_with_the_organisations_provider(
    page: Any, personas: Any, monkeypatch: Any, request: pytest.FixtureRequest
) -> None:
    from accounts.models import Membership, OidcProvider

    provider = request.getfixturevalue("op")  # tests/accounts/oidc/conftest.py: oidc-provider on node

    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    OidcProvider.objects.create(
        organisation=personas.acme,
        name="Acme Identity",
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret_env=SECRET_ENV,
        allowed_domains="acme.example",
    )
    page.goto("/accounts/sign-in/")
    page.locator("#id_email").press_sequentially("jo@acme.example")
    button = page.get_by_test_id("sso-button")
    button.wait_for()
    assert button.inner_text() == "Sign in with Acme Identity"
    button.click()
    page.wait_for_url("**/dashboard/")
    assert "Acme AI" in page.locator("body").inner_text()
    assert Membership.objects.get(user__email="jo@acme.example").organisation == personas.acme
