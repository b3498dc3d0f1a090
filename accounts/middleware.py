"""Session activity: record each signed-in session, refresh it on activity, enforce the idle
timeout, and sign out sessions their owner ended elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from lib.http import client_ip

from .models import User, UserSession
from .services.sessions import session_idle_timeout, session_key_hash, user_session_start

SESSION_ROW_KEY = "_wfos_session_row"
# Writes (last seen, expiry refresh) happen at most this often per session.
TOUCH_EVERY = timedelta(minutes=1)


class SessionActivityMiddleware:
    """After AuthenticationMiddleware. One primary-key read per signed-in request; one write
    at most once a minute. API requests with a token carry no session and are not touched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            assert isinstance(user, User)
            self._track(request, user)
        return self.get_response(request)

    def _track(self, request: HttpRequest, user: User) -> None:
        session = request.session
        now = timezone.now()
        row_id = session.get(SESSION_ROW_KEY)
        row = UserSession.objects.filter(pk=row_id, user=user).first() if row_id else None
        if row_id and (row is None or row.ended is not None):
            logout(request)  # ended from another device ("sign out everywhere")
            return
        timeout = session_idle_timeout(user) if row is None or now - row.last_seen >= TOUCH_EVERY else None
        if row is not None and timeout is not None and now - row.last_seen > timeout:
            UserSession.objects.filter(pk=row.pk).update(ended=now)
            logout(request)  # idle for longer than the timeout
            return
        if session.session_key is None:
            session.save()  # a key to hash (a fresh login always has one)
        assert session.session_key is not None
        if row is None:
            row = user_session_start(
                user=user,
                session_key=session.session_key,
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                ip=client_ip(request),
            )
            session[SESSION_ROW_KEY] = row.pk
        elif timeout is not None:
            UserSession.objects.filter(pk=row.pk).update(
                last_seen=now,
                key_hash=session_key_hash(session.session_key),  # the key cycles on password change
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        if timeout is not None:
            # Refresh the session's own expiry too: it now ends after `timeout` of inactivity.
            session.set_expiry(int(timeout.total_seconds()))
