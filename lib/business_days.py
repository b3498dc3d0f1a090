"""Business-day arithmetic for SLA due dates: weekends and the given public holidays are skipped.

Pure Python (no Django): callers pass the holidays (the web app reads ``settings.PUBLIC_HOLIDAYS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

Holidays = frozenset[date]


def parse_holidays(values: Iterable[str | date]) -> Holidays:
    """ISO dates (``2026-12-25``) or dates → a frozenset; a malformed entry raises ValueError naming it."""
    out: set[date] = set()
    for value in values:
        if isinstance(value, date):
            out.add(value)
            continue
        try:
            out.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ValueError(f"not an ISO date: {value!r}") from None
    return frozenset(out)


def is_business_day(day: date, holidays: Iterable[date] = ()) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in set(holidays)


def add_business_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The date ``days`` business days after ``start`` (before it when negative).

    ``start`` itself is never counted, so an application on Friday with a 2-day SLA is due on
    Tuesday; ``days == 0`` returns ``start`` unchanged.
    """
    hol = frozenset(holidays)
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += timedelta(days=step)
        if day.weekday() < 5 and day not in hol:
            remaining -= 1
    return day


def _weekdays_in(first: date, last: date) -> int:
    """Weekdays in the inclusive range ``first..last`` (0 when empty), in constant time."""
    if last < first:
        return 0
    total = (last - first).days + 1
    weeks, extra = divmod(total, 7)
    count = weeks * 5
    wd = first.weekday()
    for i in range(extra):
        if (wd + i) % 7 < 5:
            count += 1
    return count


def business_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Business days after ``start`` up to and including ``end``; negative when ``end`` is earlier.

    ``business_days_between(d, add_business_days(d, n)) == n`` for any business-day count ``n``.
    """
    if end == start:
        return 0
    sign = 1 if end > start else -1
    first, last = (start + timedelta(days=1), end) if sign > 0 else (end + timedelta(days=1), start)
    count = _weekdays_in(first, last)
    count -= sum(1 for h in set(holidays) if first <= h <= last and h.weekday() < 5)
    return sign * count


def business_days_left(today: date, due: date, holidays: Iterable[date] = ()) -> int:
    """Business days from ``today`` until ``due``: 0 when due today, negative when overdue.

    When ``due`` is past, the result counts the business days since (a due date on Friday seen on
    Monday is 1 business day overdue).
    """
    return business_days_between(today, due, holidays)
