"""Single sign-on with OpenID Connect, one identity provider per organisation.

Built on mozilla-django-oidc: its request view (state, nonce, PKCE in the session) and its
authentication backend (code exchange, JWKS, userinfo), subclassed so the issuer, the client and
the endpoints come from the organisation's :class:`~accounts.models.OidcProvider` and its
discovery document instead of global settings, and so every refusal reaches the sign-in page as a
clear message (:class:`SsoError`) instead of a silent redirect or a 500.
"""
