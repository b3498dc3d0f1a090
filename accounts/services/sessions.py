"""Signed-in sessions: recorded, refreshed on activity, ended by their owner.

Why a model and not Django's session table: the session table cannot be filtered by user
without decoding every row, and production may keep sessions in another engine (cache,
signed cookies). A small row per session, keyed by a hash of the session key, works with any
engine; ending a session marks the row and the middleware signs that browser out on its next
request.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core.audit import audit_event_append

from ..models import Membership, User, UserSession

log = logging.getLogger(__name__)


def _ended_cache_key(row_id: int) -> str:
    return f"accounts:session-ended:{row_id}"


def _mark_ended(row_ids: list[int]) -> None:
    """Tell the middleware at once (a cache read per request); the row's ``ended`` stays the
    truth it re-reads at least once a minute, so a lost cache delays a sign-out by a minute."""
    ttl = max(settings.SESSION_IDLE_TIMEOUT_SECONDS, settings.SESSION_IDLE_TIMEOUT_PRIVILEGED_SECONDS)
    with contextlib.suppress(Exception):  # without the cache, the row's `ended` is checked instead
        cache.set_many({_ended_cache_key(pk): True for pk in row_ids}, timeout=ttl)


def session_ended_recently(row_id: int) -> bool:
    """Whether the session was ended elsewhere: the cache's flag, or the row when the cache (Redis)
    is down, so a cache outage neither breaks signed-in pages nor keeps an ended session alive."""
    try:
        return bool(cache.get(_ended_cache_key(row_id)))
    except Exception:
        log.warning("session cache unavailable; checking the session row", exc_info=True)
        return UserSession.objects.filter(pk=row_id, ended__isnull=False).exists()


def session_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def session_idle_timeout(user: User) -> timedelta:
    """How long a session may stay idle: shorter for assessors and admins (platform or
    organisation), who can change more."""
    privileged = (
        user.is_staff
        or user.is_assessor
        or Membership.objects.filter(user=user, role=Membership.ADMIN).exists()
    )
    seconds = (
        settings.SESSION_IDLE_TIMEOUT_PRIVILEGED_SECONDS
        if privileged
        else settings.SESSION_IDLE_TIMEOUT_SECONDS
    )
    return timedelta(seconds=seconds)


def user_session_start(*, user: User, session_key: str, user_agent: str, ip: str | None) -> UserSession:
    """Record a new signed-in session."""
    now = timezone.now()
    return UserSession.objects.create(
        user=user,
        key_hash=session_key_hash(session_key),
        user_agent=user_agent[:300],
        ip=ip or None,
        created=now,
        last_seen=now,
    )


def user_session_end(*, session: UserSession, actor: User) -> None:
    """End one session; its browser is signed out on its next request."""
    if session.ended is None:
        UserSession.objects.filter(pk=session.pk).update(ended=timezone.now())
        _mark_ended([session.pk])
        audit_event_append(
            action="session.ended", object_type="usersession", object_id=session.pk, actor_email=actor.email
        )


def user_session_signed_out(*, user: User, row_id: int) -> None:
    """The session's owner signed out of it."""
    UserSession.objects.filter(pk=row_id, user=user, ended__isnull=True).update(ended=timezone.now())
    _mark_ended([row_id])


def user_sessions_end_all(*, user: User, except_pk: int | None = None) -> int:
    """End every open session of ``user`` (but ``except_pk``); the number ended."""
    qs = UserSession.objects.filter(user=user, ended__isnull=True)
    if except_pk is not None:
        qs = qs.exclude(pk=except_pk)
    ids = list(qs.values_list("pk", flat=True))
    n = UserSession.objects.filter(pk__in=ids).update(ended=timezone.now())
    _mark_ended(ids)
    audit_event_append(
        action="session.ended_all",
        object_type="user",
        object_id=user.pk,
        actor_email=user.email,
        data={"count": n, "kept_current": except_pk is not None},
    )
    return n
