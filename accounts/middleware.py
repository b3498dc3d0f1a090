"""Session activity: record each signed-in session, refresh it on activity, enforce the idle
timeout, and sign out sessions their owner ended elsewhere. Unverified accounts (sign-up) are kept
to the verification pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone

from core.middleware import database_unavailable
from lib.http import client_ip
from lib.jobs import DATABASE_ERRORS

from .models import User, UserSession
from .services.sessions import (
    session_ended_recently,
    session_idle_timeout,
    session_key_hash,
    user_session_start,
)

log = logging.getLogger(__name__)

SESSION_ROW_KEY = "_wfos_session_row"
SESSION_TOUCHED_KEY = "_wfos_session_touched"
# The database (last seen, expiry refresh, idle check) is consulted at most this often per session.
TOUCH_EVERY = timedelta(minutes=1)


class SessionActivityMiddleware:
    """After AuthenticationMiddleware.

    Between touches a request costs one cache read (was this session ended elsewhere?); once a
    minute it reads and updates the session's row and refreshes the session's expiry. Token
    requests to the API carry no session and are not touched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and hasattr(request, "session"):
                assert isinstance(user, User)
                self._track(request, user)
        except DATABASE_ERRORS:
            # The session and the user live in the database: with it away, say so (503), as the
            # views do, rather than fail here.
            log.warning("database unavailable while loading the session", exc_info=True)
            return database_unavailable(request)
        return self.get_response(request)

    def _track(self, request: HttpRequest, user: User) -> None:
        session = request.session
        now = timezone.now()
        row_id = session.get(SESSION_ROW_KEY)
        touched = session.get(SESSION_TOUCHED_KEY, 0)
        if row_id and now.timestamp() - touched < TOUCH_EVERY.total_seconds():
            if session_ended_recently(row_id):
                logout(request)  # ended from another device ("sign out everywhere")
            return
        row = UserSession.objects.filter(pk=row_id, user=user).first() if row_id else None
        if row_id and (row is None or row.ended is not None):
            logout(request)
            return
        timeout = session_idle_timeout(user)
        if row is not None and now - row.last_seen > timeout:
            UserSession.objects.filter(pk=row.pk).update(ended=now)
            logout(request)  # idle for longer than the timeout
            return
        if row is None:
            # A session from before this middleware (sign-ins are recorded at login).
            session_record_start(request, user)
            return
        if session.session_key is None:
            session.save()
        assert session.session_key is not None
        UserSession.objects.filter(pk=row.pk).update(
            last_seen=now,
            key_hash=session_key_hash(session.session_key),  # the key cycles on password change
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
        session[SESSION_TOUCHED_KEY] = now.timestamp()
        # Refresh the session's own expiry too: it now ends after `timeout` of inactivity.
        session.set_expiry(int(timeout.total_seconds()))


def session_record_start(request: HttpRequest, user: User) -> None:
    """Record a signed-in session (called at login) and give it the user's idle timeout."""
    session = request.session
    if session.session_key is None:
        session.save()  # a key to hash
    assert session.session_key is not None
    row = user_session_start(
        user=user,
        session_key=session.session_key,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip=client_ip(request),
    )
    session[SESSION_ROW_KEY] = row.pk
    session[SESSION_TOUCHED_KEY] = timezone.now().timestamp()
    session.set_expiry(int(session_idle_timeout(user).total_seconds()))


# What an account whose address is not verified yet may still reach.
UNVERIFIED_ALLOWED = (
    "/accounts/verify-email/",
    "/accounts/sign-out/",
    "/accounts/sign-up/sent/",
    "/static/",
    "/healthz",
    "/favicon.ico",
)


class EmailVerificationMiddleware:
    """After AuthenticationMiddleware: a signed-in account whose address is not verified (a
    self-service sign-up, see accounts/services/signup.py) can only verify, ask for a new link or
    sign out. Pages redirect to the "verify your address" page; the API answers 403
    ``email_unverified``. Costs nothing for verified users (the flag is on the loaded user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "email_verified", True) is None
            and not request.path.startswith(UNVERIFIED_ALLOWED)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": "email_unverified",
                        "message": "Verify your e-mail address first: open the link we sent you.",
                        "errors": [],
                    },
                    status=403,
                )
            return redirect("accounts:verify_pending")
        return self.get_response(request)
