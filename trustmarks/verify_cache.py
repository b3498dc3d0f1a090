"""Per-process state of the public verify endpoint: cached answers and per-client-IP budgets.

The endpoint is the hot public path, so in the steady state it talks to nothing outside the
process:

* **Answers** are cached in the process for at most ``LOCAL_TTL`` seconds (and never past the
  moment a mark expires). The service that changes a mark drops its answer in that process at
  once; other processes serve the change within ``LOCAL_TTL`` seconds, well inside the
  ``max-age`` that clients may cache the answer for anyway. A miss costs one indexed query.
* **Rate limits** are fixed windows of ``VERIFY_RATE`` (e.g. ``120/m``) requests per client IP,
  counted in Redis (``REDIS_URL``; the Django cache when it is not set) so that every process
  shares one budget. A process leases a slice of an IP's budget with one ``INCRBY`` and spends it
  locally, so a busy client costs one round trip per slice, not per request. Leases never add
  up to more than the limit; a client may be refused a few requests early (by at most the
  slices other processes hold), never late. Refusals carry the seconds until the window ends.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

KEY_PREFIX = "workflowos:trustmarks:v1:"
ANSWER_MAX_AGE = 300  # what clients may cache (Cache-Control)
LOCAL_TTL = 5.0  # what one process may keep serving after another process changed a mark
LEASE_SLICES = 20  # an IP's budget is leased in slices of limit / LEASE_SLICES
MAX_LOCAL_ENTRIES = 20_000
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Answer:
    """A rendered verify answer: status code, JSON body, ETag, and the time it stops being fresh."""

    status: int
    body: bytes
    etag: str
    fresh_until: float


_lock = threading.Lock()
_lease_lock = threading.Lock()
_answers: dict[int, tuple[float, Answer]] = {}
_budgets: dict[tuple[str, int, int, int], int] = {}  # (ip, slot, limit, window) → tokens left here
_budget_slot = [-1]


def reset() -> None:
    """Forget everything this process holds (tests; a fresh process starts empty)."""
    with _lock:
        _answers.clear()
        _budgets.clear()


@lru_cache(maxsize=16)
def parse_rate(rate: str) -> tuple[int, int]:
    """``"120/m"`` → ``(120, 60)``: requests allowed per window of that many seconds."""
    count, _, period = rate.partition("/")
    period = period.strip() or "m"
    digits = period[:-1] or "1"
    return int(count), int(digits) * _PERIODS[period[-1]]


@lru_cache(maxsize=4)
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


# --- answers ------------------------------------------------------------------------------------


def answer_get(number: int) -> Answer | None:
    """The cached answer for mark ``number`` if it is still fresh here, else ``None``."""
    entry = _answers.get(number)
    if entry is None:
        return None
    now = time.time()
    if entry[0] <= now or entry[1].fresh_until <= now:
        _answers.pop(number, None)
        return None
    return entry[1]


def answer_set(number: int, answer: Answer) -> None:
    with _lock:
        if len(_answers) >= MAX_LOCAL_ENTRIES:
            _answers.clear()
        _answers[number] = (time.time() + LOCAL_TTL, answer)


def answer_forget(number: int) -> None:
    """Drop this process's answer for a mark whose status or validity just changed."""
    with _lock:
        _answers.pop(number, None)


# --- rate limit ---------------------------------------------------------------------------------


def _lease(key: str, slice_size: int, window: int) -> int:
    """Add ``slice_size`` to the shared counter ``key``; returns the new total."""
    if settings.REDIS_URL:
        pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
        pipe.set(key, 0, ex=window + 1, nx=True)
        pipe.incrby(key, slice_size)
        return int(pipe.execute()[1])
    cache.add(key, 0, timeout=window + 1)
    return int(cache.incr(key, slice_size))


def rate_limit_hit(ip: str) -> int:
    """Spend one request of ``ip``'s budget: 0 when allowed, else the seconds to wait."""
    if not settings.RATELIMIT_ENABLE:
        return 0
    limit, window = parse_rate(settings.VERIFY_RATE)
    now = time.time()
    slot = int(now // window)
    local_key = (ip, slot, limit, window)
    with _lock:
        if _budget_slot[0] != slot:  # a new window: last window's leases are void
            _budgets.clear()
            _budget_slot[0] = slot
        spent = _spend_local(local_key, slot, window, now)
        if spent is not None:
            return spent
    # One lease at a time per process: threads that ran dry wait for the lease in flight and
    # share it, instead of each leasing a slice (which would lock a client out early).
    with _lease_lock:
        with _lock:
            spent = _spend_local(local_key, slot, window, now)
            if spent is not None:
                return spent
        slice_size = max(1, limit // LEASE_SLICES)
        try:
            total = _lease(f"{KEY_PREFIX}rate:{ip}:{window}:{slot}", slice_size, window)
        except Exception as exc:  # a cache outage must not take verification down: answer, unlimited
            logger.warning("verify rate limit store unavailable: %s", exc)
            return 0
        granted = min(slice_size, limit - (total - slice_size))
        with _lock:
            if granted <= 0:
                _budgets[local_key] = -1
                return max(1, math.ceil((slot + 1) * window - now))
            if len(_budgets) >= MAX_LOCAL_ENTRIES:
                _budgets.clear()
            _budgets[local_key] = granted - 1
    return 0


def _spend_local(local_key: tuple[str, int, int, int], slot: int, window: int, now: float) -> int | None:
    """Spend from this process's leased budget: 0 allowed, seconds to wait when spent, None when
    a new lease is needed. Call with ``_lock`` held."""
    left = _budgets.get(local_key, 0)
    if left > 0:
        _budgets[local_key] = left - 1
        return 0
    if left < 0:  # this window's budget is spent; no need to ask again
        return max(1, math.ceil((slot + 1) * window - now))
    return None
