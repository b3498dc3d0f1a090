"""API token authentication (kept apart from views: DRF imports it while loading its settings)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from lib.errors import DomainError

from .models import User
from .services import api_token_check
from .services.tokens import TokenRejected


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <token>`` with personal tokens stored hashed."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: expected 'Token <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        try:
            token = api_token_check(raw)
        except TokenRejected as exc:
            # The code (token_expired, token_revoked, token_invalid) becomes the JSON "error".
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        if token.user.email_verified is None:  # a sign-up that never verified its address
            raise DomainError(
                "Verify your e-mail address first: open the link we sent you.",
                status=403,
                code="email_unverified",
            )
        return (token.user, None)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`: create one under Account → API tokens (or manage.py issue_api_token EMAIL)",
        }


# --- endpoints ------------------------------------------------------------------------------------
