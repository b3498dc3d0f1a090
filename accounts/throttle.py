"""The sign-in throttle, shared by the main sign-in page and the admin sign-in.

Two fixed-window counters of *failed* attempts, kept in the shared cache (Redis in production):

* **account + client**: ``LOGIN_FAILURE_LIMIT`` failures (default 5) for one account from one
  client address in ``LOGIN_FAILURE_WINDOW_SECONDS`` (default 300) refuse further attempts on
  that account *from that client* until the window ends. An attacker guessing from one address
  locks only themselves out; the owner signing in from anywhere else is not affected.
* **account-wide**: ``LOGIN_ACCOUNT_FAILURE_LIMIT`` failures (default 50) for one account from all
  clients together in ``LOGIN_ACCOUNT_WINDOW_SECONDS`` (default 3600) refuse every attempt on the
  account until the window ends. This caps a guessing campaign spread over many addresses at
  about 50 guesses an hour, at the price that such a campaign can lock the owner out for the
  rest of that hour; the limit is ten times the per-client one so that this takes real effort.

The client address comes from ``lib.http.client_ip``, so behind a proxy listed in
``WORKFLOWOS_TRUSTED_PROXIES`` each client gets its own counter. Accounts are keyed by a hash of
the lower-cased email, so unknown emails are counted like real ones and nothing tells them apart.
A successful sign-in does not reset the counters (that would let an attacker who also holds an
account interleave successes with guesses).

When the cache is unreachable the throttle fails open: sign-in goes on unthrottled and a warning
is logged, because refusing every sign-in during a cache outage would lock everyone out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from lib.http import client_ip

logger = logging.getLogger(__name__)

KEY_PREFIX = "workflowos:signin:v2:"


def locked_message(wait_seconds: int) -> str:
    """What a locked-out person reads: how long to wait, in minutes."""
    minutes = max(1, math.ceil(wait_seconds / 60))
    when = "a minute" if minutes == 1 else f"{minutes} minutes"
    return f"Too many failed sign-in attempts. Wait {when} and try again."


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int
    window: int


def _counters(request: HttpRequest, email: str) -> list[_Counter]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    client = client_ip(request)
    now = time.time()
    out = []
    for scope, limit, window in (
        (f"client:{client}:{account}", settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW_SECONDS),
        (f"account:{account}", settings.LOGIN_ACCOUNT_FAILURE_LIMIT, settings.LOGIN_ACCOUNT_WINDOW_SECONDS),
    ):
        window = max(1, int(window))
        slot = int(now // window)
        out.append(_Counter(f"{KEY_PREFIX}{scope}:{window}:{slot}", int(limit), window))
    return out


def _seconds_left(window: int) -> int:
    now = time.time()
    return max(1, math.ceil((int(now // window) + 1) * window - now))


def sign_in_wait(request: HttpRequest, email: str) -> int:
    """Seconds until ``email`` may be tried again from this client; 0 when it may be tried now."""
    if not settings.RATELIMIT_ENABLE:
        return 0
    counters = _counters(request, email)
    try:
        counts = cache.get_many([c.key for c in counters])
    except Exception as exc:  # the cache is down: fail open rather than lock everyone out
        logger.warning("sign-in throttle unavailable (cache error: %s); not throttling", type(exc).__name__)
        return 0
    waits = [_seconds_left(c.window) for c in counters if int(counts.get(c.key) or 0) >= c.limit]
    return max(waits, default=0)


def sign_in_failed(request: HttpRequest, email: str) -> None:
    """Count one failed attempt for ``email`` from this client (both counters)."""
    if not settings.RATELIMIT_ENABLE:
        return
    for counter in _counters(request, email):
        try:
            _increment(counter)
        except Exception as exc:
            logger.warning(
                "sign-in throttle unavailable (cache error: %s); failure not counted", type(exc).__name__
            )
            return


def _increment(counter: _Counter) -> None:
    # add() starts the window's counter with its expiry; incr() is atomic in Redis.
    cache.add(counter.key, 0, timeout=counter.window + 1)
    try:
        cache.incr(counter.key)
    except ValueError:  # it expired between add() and incr(): start again
        cache.set(counter.key, 1, timeout=counter.window + 1)


def signup_throttled(request: HttpRequest, email: str) -> bool:
    """Sign-up and verification re-sends: ``SIGNUP_RATE_IP`` per client address and
    ``SIGNUP_RATE_EMAIL`` per e-mail address (django-ratelimit's cache counters). Every attempt
    counts, registered address or not, so the answer reveals nothing. Fails open when the cache is
    down, like the sign-in throttle."""
    if not settings.RATELIMIT_ENABLE:
        return False
    from django_ratelimit.core import get_usage

    email_key = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    limited = False
    for group, key, rate in (
        ("signup-ip", client_ip(request), settings.SIGNUP_RATE_IP),
        ("signup-email", email_key, settings.SIGNUP_RATE_EMAIL),
    ):
        try:
            usage = get_usage(request, group=group, key=lambda _g, _r, k=key: k, rate=rate, increment=True)
        except Exception as exc:
            logger.warning(
                "sign-up throttle unavailable (cache error: %s); not throttling", type(exc).__name__
            )
            return False
        limited = limited or bool(usage and usage["should_limit"])
    return limited
