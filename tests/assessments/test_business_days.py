from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.business_days import (
    add_business_days,
    business_days_between,
    business_days_left,
    is_business_day,
    parse_holidays,
)

FRI = date(2026, 11, 20)
HOLIDAYS = parse_holidays(["2026-12-25", "2026-12-28", "2027-01-01"])


def test_friday_plus_two_is_tuesday():
    assert FRI.weekday() == 4
    assert add_business_days(FRI, 2) == date(2026, 11, 24)


def test_weekend_start_counts_from_monday():
    saturday = date(2026, 11, 21)
    assert add_business_days(saturday, 1) == date(2026, 11, 23)


def test_public_holidays_are_skipped():
    # Thu 24 Dec + 2: Fri 25 (holiday), Mon 28 (holiday) → Tue 29, Wed 30.
    assert add_business_days(date(2026, 12, 24), 2, HOLIDAYS) == date(2026, 12, 30)
    assert add_business_days(date(2026, 12, 24), 2) == date(2026, 12, 28)
    assert not is_business_day(date(2026, 12, 25), HOLIDAYS)
    assert is_business_day(date(2026, 12, 24), HOLIDAYS)


def test_zero_and_negative():
    assert add_business_days(FRI, 0) == FRI
    assert add_business_days(date(2026, 11, 23), -1) == FRI


def test_days_left_and_overdue():
    monday = date(2026, 11, 23)
    assert business_days_left(monday, monday) == 0
    assert business_days_left(FRI, monday) == 1
    assert business_days_left(monday, FRI) == -1
    assert business_days_left(date(2026, 12, 23), date(2026, 12, 30), HOLIDAYS) == 3


def test_bad_holiday_is_named():
    with pytest.raises(ValueError, match="2026-13-01"):
        parse_holidays(["2026-13-01"])


@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    n=st.integers(min_value=0, max_value=400),
    holidays=st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 12, 31)), max_size=20),
)
def test_between_inverts_add(start, n, holidays):
    due = add_business_days(start, n, holidays)
    assert business_days_between(start, due, holidays) == n
    assert business_days_between(due, start, holidays) == -n
    if n:
        assert is_business_day(due, holidays)


@given(
    a=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    span=st.integers(min_value=0, max_value=60),
)
def test_between_matches_counting(a, span):
    b = a + timedelta(days=span)
    counted = sum(1 for i in range(1, span + 1) if (a + timedelta(days=i)).weekday() < 5)
    assert business_days_between(a, b) == counted
