"""Signing in records the session; signing out ends its row (so it leaves the sessions list)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from .services.sessions import user_session_signed_out


@receiver(user_logged_out)
def end_session_row(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    row_id = session.get("_wfos_session_row") if session is not None else None
    if row_id and user is not None:
        user_session_signed_out(user=user, row_id=row_id)


@receiver(user_logged_in)
def record_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from .middleware import session_record_start

    if request is not None and hasattr(request, "session"):
        session_record_start(request, user)
