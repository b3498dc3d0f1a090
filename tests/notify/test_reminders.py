"""Expiry reminders to holders' admins at 90, 30 and 7 days: idempotent, catching up after a
missed day, never a stale threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.trustmarks.helpers import review_for_renewal

pytestmark = pytest.mark.django_db


def run(today):  # type: ignore[no-untyped-def]
    from notify.services import expiry_reminders_send

    return expiry_reminders_send(today=today)


@pytest.mark.parametrize(
    "days_left,threshold",
    [(120, None), (91, None), (90, 90), (45, 90), (30, 30), (8, 30), (7, 7), (5, 7), (0, 7), (-1, None)],
)
def test_the_most_relevant_threshold(days_left, threshold):
    from notify.services import reminder_threshold

    assert reminder_threshold(days_left) == threshold


def test_reminders_are_sent_once_per_threshold_to_admins_only(personas, make_mark, mailoutbox):
    mark = make_mark()
    expires = mark.expires
    day = expires - timedelta(days=90)
    sent = run(day)
    assert [(r.trust_mark_id, r.threshold_days, r.days_left) for r in sent] == [(mark.pk, 90, 90)]
    assert [m.to for m in mailoutbox] == [[personas.alice.email]]  # Acme's admin, not pat
    assert "expires in 90 days" in mailoutbox[0].subject and mark.mark_id in mailoutbox[0].subject
    # Reruns, the same day or the following days, send nothing more until 30 days are left.
    assert run(day) == [] and run(day + timedelta(days=1)) == [] and run(expires - timedelta(days=31)) == []
    assert len(mailoutbox) == 1
    assert [r.threshold_days for r in run(expires - timedelta(days=30))] == [30]
    assert run(expires - timedelta(days=29)) == []
    # The 7-day run was missed: caught up at 5 days, as the 7-day reminder.
    assert [(r.threshold_days, r.days_left) for r in run(expires - timedelta(days=5))] == [(7, 5)]
    assert run(expires - timedelta(days=4)) == [] and run(expires) == []
    assert len(mailoutbox) == 3


def test_only_the_most_relevant_reminder_when_days_were_missed(personas, make_mark, mailoutbox):
    from notify.models import ExpiryReminder

    mark = make_mark()
    sent = run(mark.expires - timedelta(days=5))  # nothing ran before: no late 90- or 30-day mail
    assert [r.threshold_days for r in sent] == [7]
    assert len(mailoutbox) == 1 and "in 5 days" in mailoutbox[0].subject
    assert list(ExpiryReminder.objects.values_list("threshold_days", flat=True)) == [7]


def test_revoked_and_expired_marks_get_no_reminder_and_renewal_starts_afresh(personas, make_mark, mailoutbox):
    from trustmarks.services import trust_mark_renew

    revoked = make_mark(company="Gone", status="revoked")
    mark = make_mark()
    assert [r.trust_mark_id for r in run(mark.expires - timedelta(days=20))] == [mark.pk]
    assert run(revoked.expires + timedelta(days=1)) == []
    assert not revoked.expiry_reminders.exists()
    review_for_renewal(mark, personas.ada)
    renewed = trust_mark_renew(mark=mark, actor=personas.ada, reason="Surveillance review passed")
    sent = run(renewed.expires - timedelta(days=90))
    assert [(r.threshold_days, r.expires) for r in sent] == [(90, renewed.expires)]


def test_the_beat_schedule_runs_the_reminders_and_the_sweep(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"notify.expiry_reminders", "notify.sweep"} <= tasks


def test_prune_forgets_old_logs_and_unconfirmed_addresses(personas, make_mark, client, token_for, receiver):
    from datetime import timedelta

    from django.utils import timezone

    from notify.models import EmailSubscription, WebhookDelivery
    from notify.services import event_fanout, notifications_prune, webhook_deliver
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    client.post(
        "/api/certify/subscriptions/",
        {"mark": mark.mark_id, "url": receiver.url},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token_for(personas.pat)}",
    )
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="r")
    (delivery_id,), _ = event_fanout(event_id=mark.events.order_by("-id").first().pk)
    webhook_deliver(delivery_id=delivery_id)
    old = timezone.now() - timedelta(days=31)
    EmailSubscription.objects.create(email="never@x.example", trust_mark=mark, token="a", created=old)
    EmailSubscription.objects.create(
        email="kept@x.example", trust_mark=mark, token="b", created=old, confirmed=old
    )
    assert notifications_prune() == {"webhook_deliveries": 0, "email_notices": 0, "unconfirmed_addresses": 1}
    WebhookDelivery.objects.update(created=old)
    assert notifications_prune()["webhook_deliveries"] == 2  # the delivery and its attempt
    assert list(EmailSubscription.objects.values_list("email", flat=True)) == ["kept@x.example"]
