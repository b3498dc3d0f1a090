"""Per-organisation job quotas: how many simulations and exports an organisation may start per
hour and have queued or running at once.

The limits are data in settings (``WORKFLOWOS_JOB_QUOTAS``: ``starts_per_hour`` and
``concurrent``, each 0 for "no limit"; env ``WORKFLOWOS_JOB_STARTS_PER_HOUR`` and
``WORKFLOWOS_JOB_CONCURRENT``). Usage is counted from the job rows in the database, not a cache,
so every web host sees the same numbers. Two requests racing at the very limit can both pass
(the count and the insert are not one transaction); that overshoots by a request or two, which
is acceptable for a guard against floods.

The services that start jobs (``simulation_start``, ``export_request``) call ``job_quota_check``
first; the pages that start jobs show ``job_usage`` next to the button.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from lib.errors import DomainError

HOUR = timedelta(hours=1)
CONCURRENT_RETRY_SECONDS = 30  # a guess: jobs finish in seconds to minutes; the client asks again


@dataclass(frozen=True)
class JobUsage:
    """An organisation's jobs now: queued or running, and started in the last hour, against the limits."""

    active: int
    concurrent_limit: int  # 0: no limit
    started_last_hour: int
    starts_limit: int  # 0: no limit
    oldest_start_in_window: datetime | None = None

    @property
    def concurrent_full(self) -> bool:
        return bool(self.concurrent_limit) and self.active >= self.concurrent_limit

    @property
    def starts_full(self) -> bool:
        return bool(self.starts_limit) and self.started_last_hour >= self.starts_limit

    @property
    def full(self) -> bool:
        return self.concurrent_full or self.starts_full

    def summary(self) -> str:
        """``"2 of 4 concurrent jobs running · 12 of 60 starts this hour"`` (limits that are set)."""
        parts = []
        if self.concurrent_limit:
            parts.append(f"{self.active} of {self.concurrent_limit} concurrent jobs running")
        if self.starts_limit:
            parts.append(f"{self.started_last_hour} of {self.starts_limit} starts this hour")
        return " · ".join(parts)


def job_quotas() -> tuple[int, int]:
    """``(concurrent, starts_per_hour)`` from settings; 0 means no limit."""
    quotas = getattr(settings, "WORKFLOWOS_JOB_QUOTAS", {}) or {}
    return max(0, int(quotas.get("concurrent", 0) or 0)), max(0, int(quotas.get("starts_per_hour", 0) or 0))


def job_usage(*, organisation_id: int) -> JobUsage:
    """Count the organisation's simulations and exports: active now and started in the last hour."""
    concurrent_limit, starts_limit = job_quotas()
    since = timezone.now() - HOUR
    active = started = 0
    oldest = None
    for label in ("simulations.SimulationRun", "evidence.ExportJob"):
        model = apps.get_model(label)
        counts = model.objects.filter(organisation_id=organisation_id).aggregate(
            active=Count("pk", filter=Q(status__in=(model.QUEUED, model.RUNNING))),
            started=Count("pk", filter=Q(created__gte=since)),
            oldest=Min("created", filter=Q(created__gte=since)),
        )
        active += counts["active"] or 0
        started += counts["started"] or 0
        if counts["oldest"] is not None and (oldest is None or counts["oldest"] < oldest):
            oldest = counts["oldest"]
    return JobUsage(active, concurrent_limit, started, starts_limit, oldest)


def job_quota_check(*, organisation_id: int) -> JobUsage:
    """Refuse a new job when the organisation is at a quota: DomainError 429 (``quota_exceeded``)
    with ``retry_after`` seconds; otherwise return the usage before the new job."""
    usage = job_usage(organisation_id=organisation_id)
    if usage.starts_full:
        oldest = usage.oldest_start_in_window
        wait = (
            max(1, math.ceil((oldest + HOUR - timezone.now()).total_seconds())) if oldest is not None else 60
        )
        raise DomainError(
            f"Your organisation has started {usage.started_last_hour} jobs in the last hour, the limit "
            f"is {usage.starts_limit}. Try again in {_minutes(wait)}.",
            status=429,
            code="quota_exceeded",
            retry_after=wait,
        )
    if usage.concurrent_full:
        raise DomainError(
            f"Your organisation already has {usage.active} simulations and exports queued or running, "
            f"the limit is {usage.concurrent_limit}. Wait for one to finish (or cancel one) and try again.",
            status=429,
            code="quota_exceeded",
            retry_after=CONCURRENT_RETRY_SECONDS,
        )
    return usage


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"
