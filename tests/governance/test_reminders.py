"""Reminders of the improvement plan: admins hear of actions due within 7 days or overdue, each
action at most once every 7 days, never a done one, never another organisation's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from governance.models import ImprovementAction
from governance.reminders import action_reminders_send
from governance.tasks import action_reminders_task

pytestmark = pytest.mark.django_db


def _action(org, *, control: str, days: int, status: str = ImprovementAction.OPEN) -> ImprovementAction:
    return ImprovementAction.objects.create(
        organisation=org,
        control=control,
        action=f"Fix {control} <b>now</b>",
        owner="CISO",
        due=timezone.localdate() + dt.timedelta(days=days),
        status=status,
    )


def _send(capture, now=None):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return action_reminders_send(now=now)


def test_beat_runs_the_task_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["governance-action-reminders"]
    assert entry["task"] == action_reminders_task.name == "governance.action_reminders"
    assert entry["schedule"] == 24 * 3600


def test_admins_hear_of_due_and_overdue_actions_once_a_week(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    overdue = _action(personas.acme, control="C3", days=-2)
    soon = _action(personas.acme, control="C7", days=5)
    later = _action(personas.acme, control="C2", days=30)
    done = _action(personas.acme, control="C4", days=-10, status=ImprovementAction.DONE)

    out = _send(django_capture_on_commit_callbacks)
    assert (out.organisations, out.actions) == (1, 2)
    admins = {"alice@acme.example"}
    assert {m.to[0] for m in mailoutbox} == admins  # admins only: pat and mia are practitioners
    mail = mailoutbox[0]
    assert mail.subject == "1 overdue, 1 due soon: PAI-8 improvement plan of Acme AI"
    assert "Overdue:\n- C3 Fix C3 <b>now</b> (owner: CISO" in mail.body
    assert "Due within 7 days:\n- C7" in mail.body
    assert "C2" not in mail.body and "C4" not in mail.body
    assert "/governance/" in mail.body
    for row in (overdue, soon):
        row.refresh_from_db()
        assert row.reminded_at is not None
    later.refresh_from_db()
    done.refresh_from_db()
    assert later.reminded_at is None and done.reminded_at is None

    # Idempotent: the same day, and six days later, nothing goes out again.
    mailoutbox.clear()
    assert _send(django_capture_on_commit_callbacks).actions == 0
    six_days = timezone.now() + dt.timedelta(days=6)
    assert _send(django_capture_on_commit_callbacks, now=six_days).actions == 0
    assert mailoutbox == []

    # A week later the still-open actions are reminded once more (the C2 action, due in 30 days, is not).
    week = timezone.now() + dt.timedelta(days=7, minutes=1)
    out = _send(django_capture_on_commit_callbacks, now=week)
    assert out.actions == 2 and len(mailoutbox) == 1
    assert "2 overdue" in mailoutbox[0].subject  # the C7 action's due date has passed by then

    # Done actions drop out.
    mailoutbox.clear()
    ImprovementAction.objects.filter(pk__in=[overdue.pk, soon.pk]).update(status=ImprovementAction.DONE)
    assert _send(django_capture_on_commit_callbacks, now=week + dt.timedelta(days=8)).actions == 0
    assert mailoutbox == []


def test_each_organisation_hears_only_of_its_own(personas, mailoutbox, django_capture_on_commit_callbacks):
    from accounts.models import Membership

    _action(personas.acme, control="C1", days=1)
    _action(personas.globex, control="C8", days=-1)
    Membership.objects.filter(user=personas.gus, organisation=personas.globex).update(role=Membership.ADMIN)
    out = _send(django_capture_on_commit_callbacks)
    assert out.organisations == 2
    by_to = {m.to[0]: m for m in mailoutbox}
    assert "C1" in by_to["alice@acme.example"].body and "C8" not in by_to["alice@acme.example"].body
    assert "C8" in by_to["gus@globex.example"].body and "C1" not in by_to["gus@globex.example"].body


def test_a_rolled_back_run_sends_nothing_and_claims_nothing(personas, mailoutbox, monkeypatch):
    row = _action(personas.acme, control="C5", days=0)

    def boom(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("template broke")

    monkeypatch.setattr("governance.reminders.email_after_commit", boom)
    with pytest.raises(RuntimeError):
        action_reminders_send()
    row.refresh_from_db()
    assert row.reminded_at is None and mailoutbox == []
