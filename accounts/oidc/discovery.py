"""The provider's discovery document (``/.well-known/openid-configuration``), fetched and checked."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from pydantic import BaseModel, ConfigDict, ValidationError

from ..models import OidcProvider
from .errors import SsoError


class ProviderMetadata(BaseModel):
    """The fields of a discovery document this client uses (others are ignored)."""

    model_config = ConfigDict(extra="ignore")

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    id_token_signing_alg_values_supported: list[str] = ["RS256"]


def _same_issuer(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def unreachable(provider: OidcProvider) -> SsoError:
    return SsoError(
        f"{provider.name} could not be reached just now. Try again in a moment, or sign in with "
        "your password.",
        code="provider_unreachable",
        status=502,
    )


def provider_metadata(provider: OidcProvider) -> ProviderMetadata:
    """Fetch and check ``provider``'s discovery document; SsoError when it is unreachable,
    malformed, or names another issuer than the one configured (OpenID Connect Discovery §4.3)."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        document: Any = response.json()
    except (requests.RequestException, ValueError):
        raise unreachable(provider) from None
    try:
        metadata = ProviderMetadata.model_validate(document)
    except ValidationError:
        raise SsoError(
            f"{provider.name} answered with an unusable discovery document. Ask your platform "
            "admin to check the provider's issuer URL.",
            code="provider_misconfigured",
            status=502,
        ) from None
    if not _same_issuer(metadata.issuer, provider.issuer):
        raise SsoError(
            f"{provider.name} names a different issuer ({metadata.issuer}) than the one configured "
            f"({provider.issuer}), so its sign-ins cannot be trusted. Ask your platform admin to "
            "check the provider's settings.",
            code="wrong_issuer",
            status=502,
        )
    return metadata
