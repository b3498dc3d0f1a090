"""Helpers for client addresses (rate limits, audit)."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Behind the bundled reverse proxy set-up, REMOTE_ADDR is the client; we do not trust
    # X-Forwarded-For by default because any client can send it.
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104
