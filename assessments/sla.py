"""Service-level dates for assessments: business days under ``settings.PUBLIC_HOLIDAYS``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.conf import settings
from django.utils import timezone

from lib.business_days import Holidays, add_business_days, business_days_between, parse_holidays


@cache
def _holidays(values: tuple[str, ...]) -> Holidays:
    return parse_holidays(values)


def holidays() -> Holidays:
    return _holidays(tuple(getattr(settings, "PUBLIC_HOLIDAYS", ())))


def today() -> date:
    return timezone.localdate()


def due_after(days: int, *, start: date | None = None) -> date:
    """The date ``days`` business days after ``start`` (today by default)."""
    return add_business_days(start or today(), days, holidays())


def business_days_from(start: date, end: date) -> int:
    return business_days_between(start, end, holidays())


@dataclass(frozen=True)
class DueState:
    """A due date as people read it: days left, due today, or overdue."""

    due: date | None
    days_left: int | None
    overdue: bool
    paused: bool = False

    @property
    def label(self) -> str:
        if self.paused:
            return "SLA paused"
        if self.due is None or self.days_left is None:
            return "—"
        if self.overdue:
            n = max(1, -self.days_left)
            return f"overdue by {n} business day{'s' if n != 1 else ''}"
        if self.days_left == 0:
            return "due today"
        return f"{self.days_left} business day{'s' if self.days_left != 1 else ''} left"

    @property
    def pill(self) -> str:
        if self.paused or self.due is None:
            return "pill-muted"
        if self.overdue:
            return "pill-bad"
        return "pill-warn" if (self.days_left or 0) <= 1 else "pill-ok"


def due_state(due: date | None, *, paused: bool = False, on: date | None = None) -> DueState:
    if due is None or paused:
        return DueState(due, None, False, paused)
    now = on or today()
    return DueState(due, business_days_between(now, due, holidays()), due < now)
