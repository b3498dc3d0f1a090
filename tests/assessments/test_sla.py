from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from assessments import services, sla
from assessments.models import Assessment
from assessments.selectors import sla_due_of
from tests.assessments import helpers as h

pytestmark = pytest.mark.django_db

FRIDAY = datetime(2026, 12, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def on_friday(monkeypatch):
    """Freeze 'now' on Friday 18 December 2026 (25 and 28 Dec, 1 Jan are configured holidays)."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: FRIDAY)
    return FRIDAY


def test_acknowledgement_is_due_in_two_business_days(personas, on_friday):
    a = h.applied(personas)
    assert a.acknowledge_due == date(2026, 12, 22)  # Fri + 2 business days = Tue


def test_expedited_shortens_every_sla(personas, on_friday):
    a = h.applied(personas, expedited=True)
    assert a.acknowledge_due == date(2026, 12, 21)
    services.assessment_accept(assessment=a, actor=personas.ada)
    a.refresh_from_db()
    assert a.target_date == sla.due_after(5, start=FRIDAY.date())


def test_review_due_skips_weekends_and_public_holidays(personas, on_friday):
    a = h.submitted(personas)
    # Fri 18 Dec + 5 business days, skipping 25 and 28 Dec: 21, 22, 23, 24, 29.
    assert a.review_due == date(2026, 12, 29)
    b = Assessment.objects.get(pk=a.pk)
    assert sla_due_of(b).days_left == 5


def test_public_holidays_come_from_settings(personas, on_friday, settings):
    settings.PUBLIC_HOLIDAYS = ["2026-12-21"]
    sla._holidays.cache_clear()
    try:
        a = h.applied(personas)
        assert a.acknowledge_due == date(2026, 12, 23)
    finally:
        sla._holidays.cache_clear()


def test_clarification_pauses_the_clock(personas, monkeypatch):
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    now = {"t": monday}
    monkeypatch.setattr("django.utils.timezone.now", lambda: now["t"])
    a = h.in_review(personas)
    assert a.review_due == date(2026, 11, 9)
    clar = services.assessment_clarification_request(
        assessment=a, actor=personas.ada, questions="Which model version?"
    )
    a.refresh_from_db()
    assert sla_due_of(a).paused and sla_due_of(a).label == "SLA paused"
    now["t"] = monday + timedelta(days=3)  # Thursday: 3 business days paused
    services.clarification_answer(clarification=clar, actor=personas.pat, answer="2024-08-06")
    services.assessment_submit(assessment=a, actor=personas.alice)
    a.refresh_from_db()
    assert a.review_due == date(2026, 11, 12)


def test_overdue_is_reported(personas):
    a = h.submitted(personas)
    Assessment.objects.filter(pk=a.pk).update(review_due=sla.due_after(-2))
    a.refresh_from_db()
    state = sla_due_of(a)
    assert (
        state.overdue
        and state.days_left == -2
        and state.label == "overdue by 2 business days"
        and state.pill == "pill-bad"
    )


def test_daily_reminders_name_overdue_work(personas, mailoutbox):
    from django.core.management import call_command

    a = h.submitted(personas)
    mailoutbox.clear()
    call_command("assessment_sla_reminders")
    assert mailoutbox == []  # nothing due yet
    Assessment.objects.filter(pk=a.pk).update(review_due=sla.due_after(-1))
    call_command("assessment_sla_reminders")
    assert [m.to for m in mailoutbox] == [["ada@workflowos.example"]]
    assert mailoutbox[0].subject.startswith("Overdue: review of " + a.reference)
