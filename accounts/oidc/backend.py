"""The authentication backend: the library's code flow, pointed at one organisation's provider."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from ..models import OidcProvider, User
from ..throttle import locked_message, sign_in_wait
from .discovery import ProviderMetadata, provider_metadata, unreachable
from .errors import SsoError

BACKEND_PATH = "accounts.oidc.backend.OrganisationOidcBackend"
# Asymmetric signatures only: an HS256 token would be "signed" with the client secret, which the
# client itself holds, so it would prove nothing about the provider.
SIGNING_ALGORITHMS = {
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
}


def client_secret(provider: OidcProvider) -> str:
    """The client secret: from the named environment variable, else the stored one."""
    secret = os.environ.get(provider.client_secret_env, "") if provider.client_secret_env else ""
    secret = secret or provider.client_secret
    if not secret:
        raise SsoError(
            f"Single sign-on with {provider.name} is not completely set up (no client secret). "
            "Ask your platform admin, or sign in with your password.",
            code="provider_misconfigured",
            status=503,
        )
    return secret


class OrganisationOidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the provider chosen per sign-in.

    ``authenticate(request, provider=…, nonce=…, code_verifier=…)`` exchanges the code from the
    callback, verifies the ID token (signature from the JWKS, issuer, audience, expiry, nonce),
    reads the userinfo, and hands the claims to the just-in-time membership service. Every
    refusal raises :class:`SsoError`. Without ``provider`` it does nothing, so password sign-in
    is untouched."""

    provider: OidcProvider
    metadata: ProviderMetadata

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No global OIDC_OP_* / OIDC_RP_* settings: they come from the provider in authenticate().
        self.UserModel = get_user_model()

    def get_user(self, user_id: int) -> Any:
        return ModelBackend.get_user(self, user_id)  # refuses inactive users, as password sign-in does

    def authenticate(
        self,
        request: HttpRequest | None,
        provider: OidcProvider | None = None,
        nonce: str | None = None,
        code_verifier: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is None or provider is None:
            return None
        self.provider = provider
        self.metadata = provider_metadata(provider)
        self.OIDC_OP_TOKEN_ENDPOINT = self.metadata.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.metadata.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.metadata.jwks_uri
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = client_secret(provider)
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None
        user = super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        assert user is None or isinstance(user, User)
        return user

    # --- the code exchange ------------------------------------------------------------------
    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        # client_secret_basic, with id and secret form-encoded first (RFC 6749 §2.3.1), which the
        # library's plain HTTPBasicAuth skips.
        data = {k: v for k, v in payload.items() if k not in {"client_id", "client_secret"}}
        auth = (quote(self.OIDC_RP_CLIENT_ID, safe=""), quote(self.OIDC_RP_CLIENT_SECRET, safe=""))
        try:
            response = requests.post(
                self.OIDC_OP_TOKEN_ENDPOINT, data=data, auth=auth, timeout=settings.OIDC_TIMEOUT
            )
        except requests.RequestException:
            raise unreachable(self.provider) from None
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("id_token"):
            error = (
                body.get("error", f"HTTP {response.status_code}") if isinstance(body, dict) else "no answer"
            )
            raise SsoError(
                f"{self.provider.name} refused to complete the sign-in ({error}). Start again; if it "
                "keeps failing, ask your platform admin to check the client id and secret.",
                code="token_refused",
            )
        return body

    # --- the ID token -----------------------------------------------------------------------
    def _refused(self, what: str, code: str) -> SsoError:
        return SsoError(f"The identity token from {self.provider.name} {what} Sign-in refused.", code=code)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Check the ID token: an asymmetric signature by a key of the provider's JWKS, the
        configured issuer, this client as audience (and authorised party), not expired (with
        ``OIDC_CLOCK_SKEW_SECONDS`` of leeway), and the nonce of this sign-in."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise self._refused("is not a valid token.", "invalid_token") from None
        alg = header.get("alg")
        if alg not in SIGNING_ALGORITHMS or alg not in self.metadata.id_token_signing_alg_values_supported:
            raise self._refused(
                f"uses a signing algorithm this server does not accept ({alg}).", "invalid_token"
            )
        self.OIDC_RP_SIGN_ALGO = str(alg)
        try:
            key = self.retrieve_matching_jwk(token)
        except requests.RequestException:
            raise unreachable(self.provider) from None
        except (SuspiciousOperation, KeyError, ValueError, jwt.PyJWTError):
            raise self._refused(
                "is signed with a key the provider does not publish.", "invalid_signature"
            ) from None
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[str(alg)],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.metadata.issuer,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise self._refused(
                "has expired. Start the sign-in again (if this keeps happening, the provider's clock "
                "or this server's is wrong).",
                "token_expired",
            ) from None
        except jwt.InvalidAudienceError:
            raise self._refused(
                "was issued for another application (wrong audience), not this one.", "wrong_audience"
            ) from None
        except jwt.InvalidIssuerError:
            raise self._refused("was issued by another issuer (wrong issuer).", "wrong_issuer") from None
        except jwt.ImmatureSignatureError:
            raise self._refused("is dated in the future (check the clocks).", "token_not_yet_valid") from None
        except jwt.InvalidSignatureError:
            raise self._refused("has an invalid signature.", "invalid_signature") from None
        except jwt.PyJWTError:
            raise self._refused("is malformed or incomplete.", "invalid_token") from None
        aud = payload.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise self._refused("was issued for another application (wrong audience).", "wrong_audience")
        nonce = kwargs.get("nonce")
        if not nonce or payload.get("nonce") != nonce:
            raise self._refused(
                "does not belong to this sign-in (nonce mismatch). Start again.", "nonce_mismatch"
            )
        return payload

    # --- the user ---------------------------------------------------------------------------
    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint's (whose ``sub`` must match)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            try:
                info = super().get_userinfo(access_token, id_token, payload)
            except requests.RequestException:
                raise unreachable(self.provider) from None
            except (ValueError, SuspiciousOperation, SsoError):
                raise self._refused("came with unreadable user information.", "invalid_userinfo") from None
            if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
                raise self._refused("and the user information describe different people.", "invalid_userinfo")
            claims.update(info)
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        from ..services.sso import sso_claimed_email, sso_member_for_claims

        claims = self.get_userinfo(access_token, id_token, payload)
        email = sso_claimed_email(provider=self.provider, claims=claims)
        wait = sign_in_wait(self.request, email)
        if wait:
            raise SsoError(locked_message(wait), code="throttled", status=429, email=email)
        return sso_member_for_claims(provider=self.provider, claims=claims)
