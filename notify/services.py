"""Notification writes: subscriptions (webhook and e-mail), the fan-out of a trust-mark event into
deliveries, sending them with retries, the sweep that catches up, and expiry reminders.

Everything a worker does is driven by rows: a delivery knows when it is next due, so a task lost
with a worker or a broker restart is found again by :func:`notifications_sweep`.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from lib.errors import DomainError, ErrorItem
from trustmarks.models import TrustMark, TrustMarkEvent
from trustmarks.selectors import mark_urls
from trustmarks.signing import public_url

from . import sender
from .models import (
    EmailNotice,
    EmailSubscription,
    EventFanout,
    ExpiryReminder,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from .signing import message_id_new, secret_new, signed_headers
from .targets import webhook_target_check

log = logging.getLogger(__name__)

EVENT_TYPES = tuple(f"trustmark.{action}" for action, _ in TrustMarkEvent.ACTIONS)
# A subscription to one mark hears of its changes; issuance only makes sense for "every mark".
MARK_EVENT_TYPES = tuple(t for t in EVENT_TYPES if t != "trustmark.issued")
ALL_MARKS = "*"
MAX_SUBSCRIPTIONS_PER_OWNER = 100
RETRY_CAP_SECONDS = 4 * 3600
EMAIL_RETRY_BASE_SECONDS = 60
CONFIRM_SALT = "notify.email-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
CONFIRM_RESEND_SECONDS = 600  # a pending address gets at most one confirmation mail per 10 minutes
SWEEP_BATCH = 200
FANOUT_LOOKBACK = timedelta(hours=24)  # events older than this (e.g. before install) are not fanned out
REMINDER_THRESHOLDS = (90, 30, 7)
LOG_RETENTION_DAYS = 30


# --- payloads -----------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_payload(event: TrustMarkEvent) -> dict[str, Any]:
    """The webhook body of ``event``: public facts only (never the written reason)."""
    mark = event.trust_mark
    urls = mark_urls(mark)
    return {
        "type": f"trustmark.{event.action}",
        "timestamp": _iso(event.created),
        "data": {
            "id": mark.mark_id,
            "status": event.to_status,
            "previous_status": event.from_status or None,
            "company": mark.company_name,
            "issued": mark.issued.isoformat(),
            "expires": mark.expires.isoformat(),
            "record_url": urls["record_url"],
            "verify_url": public_url(f"/api/certify/trust-mark/verify?id={mark.mark_id}"),
            "credential_url": urls["credential_url"],
            "feed_url": public_url(reverse("notify:mark_feed", args=[mark.mark_id])),
        },
    }


def _body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


# --- webhook subscriptions ----------------------------------------------------------------------


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once


def _clean_events(events: list[str] | None, *, all_marks: bool) -> list[str]:
    allowed = EVENT_TYPES if all_marks else MARK_EVENT_TYPES
    if not events:
        return list(allowed)
    unknown = [e for e in events if e not in allowed]
    if unknown:
        hint = "" if all_marks else ' (trustmark.issued needs the mark "*")'
        raise DomainError(
            f"Unknown event type {unknown[0]!r}{hint}.",
            [ErrorItem("events", f"Choose from {', '.join(allowed)}.")],
        )
    return sorted(set(events), key=allowed.index)


@transaction.atomic
def webhook_subscription_create(
    *, owner: Any, mark_id: str, url: str, events: list[str] | None = None
) -> NewSubscription:
    """Subscribe ``url`` to one mark (``TM-00142``) or to every mark (``*``).

    The URL is checked against the SSRF rules now (and again before every request). Returns the
    subscription and its signing secret, which is shown only this once.
    """
    from trustmarks.selectors import trust_mark_get

    mark: TrustMark | None = None
    if mark_id.strip() != ALL_MARKS:
        mark = trust_mark_get(mark_id=mark_id.strip())
        if mark is None:
            raise DomainError(
                "No trust mark has this id.", [ErrorItem("mark", 'Expected TM- and five digits, or "*".')]
            )
    events = _clean_events(events, all_marks=mark is None)
    target = webhook_target_check(url)
    if WebhookSubscription.objects.filter(owner=owner).count() >= MAX_SUBSCRIPTIONS_PER_OWNER:
        raise DomainError(
            f"You have {MAX_SUBSCRIPTIONS_PER_OWNER} subscriptions already; delete one first.",
            status=409,
            code="too_many_subscriptions",
        )
    secret = secret_new()
    sub = WebhookSubscription.objects.create(
        owner=owner, trust_mark=mark, url=target.url, events=events, secret=secret
    )
    return NewSubscription(sub, secret)


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription; its pending deliveries go with it."""
    subscription.delete()


# --- fan-out ------------------------------------------------------------------------------------


def event_fanout(*, event_id: int) -> tuple[list[int], list[int]]:
    """Turn one trust-mark event into deliveries, once; returns the new webhook delivery and e-mail
    notice ids (empty when the event was fanned out before)."""
    now = timezone.now()
    give_up = now + timedelta(hours=settings.WORKFLOWOS_WEBHOOK_RETRY_HOURS)
    with transaction.atomic():
        event = TrustMarkEvent.objects.select_related("trust_mark").filter(pk=event_id).first()
        if event is None:
            return [], []
        try:
            with transaction.atomic():
                EventFanout.objects.create(event=event, created=now)
        except IntegrityError:
            return [], []
        mark = event.trust_mark
        event_type = f"trustmark.{event.action}"
        body = _body(event_payload(event))
        deliveries = []
        subscriptions = WebhookSubscription.objects.filter(active=True).filter(
            Q(trust_mark=mark) | Q(trust_mark__isnull=True)
        )
        for sub in subscriptions:
            if event_type not in sub.events:
                continue
            deliveries.append(
                WebhookDelivery.objects.create(
                    subscription=sub,
                    event=event,
                    msg_id=message_id_new(),
                    event_type=event_type,
                    body=body,
                    next_attempt=now,
                    give_up_at=give_up,
                    created=now,
                )
            )
        notices = []
        if event.action != TrustMarkEvent.ISSUED:
            for email_sub in EmailSubscription.objects.filter(trust_mark=mark, confirmed__isnull=False):
                notices.append(
                    EmailNotice.objects.create(
                        subscription=email_sub, event=event, next_attempt=now, give_up_at=give_up, created=now
                    )
                )
    return [d.pk for d in deliveries], [n.pk for n in notices]


# --- sending webhooks ---------------------------------------------------------------------------


def retry_delay(attempts: int, *, base: float | None = None) -> float:
    """Seconds before the next try after ``attempts`` failed ones: exponential (×4) from the base
    (5 s by default), at most 4 hours, with ±10 % jitter so retries do not arrive in waves."""
    base = settings.WORKFLOWOS_WEBHOOK_RETRY_BASE_SECONDS if base is None else base
    delay = min(base * 4 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)
    return delay * random.uniform(0.9, 1.1)


def _claim(model: type[WebhookDelivery] | type[EmailNotice], pk: int, now: datetime, hold: float) -> bool:
    """Take the row for one attempt if it is due and nobody holds it (one conditional UPDATE)."""
    return bool(
        model.objects.filter(pk=pk, status="pending", next_attempt__lte=now + timedelta(seconds=1))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=hold))
    )


def webhook_deliver(*, delivery_id: int) -> datetime | None:
    """Make one attempt of a due delivery; returns when the next one is due (``None`` when the
    delivery is finished, was not due, or another worker holds it)."""
    now = timezone.now()
    timeout = float(settings.WORKFLOWOS_WEBHOOK_TIMEOUT)
    if not _claim(WebhookDelivery, delivery_id, now, hold=3 * timeout + 30):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:  # the subscription was deleted meanwhile
        return None
    sub = delivery.subscription
    if not sub.active:
        _finish(
            delivery, WebhookDelivery.CANCELLED, now, error=sub.disabled_reason or "subscription disabled"
        )
        return None
    number = delivery.attempts + 1
    try:
        target = webhook_target_check(sub.url)
    except DomainError as exc:
        outcome = sender.Outcome(
            status_code=None, error=f"refused: {exc.message}"[:300], excerpt="", duration_ms=0
        )
    else:
        headers = signed_headers(secret=sub.secret, msg_id=delivery.msg_id, body=delivery.body)
        outcome = sender.post(target, body=delivery.body.encode("utf-8"), headers=headers, timeout=timeout)
    finished_at = timezone.now()
    next_attempt: datetime | None = None
    if outcome.ok:
        status = WebhookDelivery.DELIVERED
    elif outcome.status_code == 410:
        # "Gone": the receiver asks us to stop (Standard Webhooks); disable the subscription.
        status = WebhookDelivery.FAILED
        WebhookSubscription.objects.filter(pk=sub.pk).update(
            active=False, disabled_reason="The receiver answered 410 Gone."
        )
    else:
        delay = retry_delay(number)
        if outcome.retry_after:
            delay = max(delay, min(outcome.retry_after, RETRY_CAP_SECONDS))
        candidate = finished_at + timedelta(seconds=delay)
        if finished_at >= delivery.give_up_at:
            status = WebhookDelivery.FAILED
        else:
            status = WebhookDelivery.PENDING
            next_attempt = min(candidate, delivery.give_up_at)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            started=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
            next_attempt=next_attempt,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=number,
            status=status,
            next_attempt=next_attempt,
            locked_until=None,
            last_status_code=outcome.status_code,
            last_error=outcome.error,
            finished=None if status == WebhookDelivery.PENDING else finished_at,
        )
    return next_attempt


def _finish(delivery: WebhookDelivery, status: str, now: datetime, *, error: str) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, next_attempt=None, locked_until=None, finished=now, last_error=error[:300]
    )


# --- e-mail subscriptions -----------------------------------------------------------------------


def _render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    text = render_to_string(f"emails/{template}.txt", context).lstrip()
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"emails/{template}.txt must start with a Subject: line")
    return " ".join(first.removeprefix("Subject:").split())[:200], body.strip() + "\n"


def unsubscribe_url(subscription: EmailSubscription) -> str:
    return public_url(reverse("notify:unsubscribe", args=[subscription.token]))


def confirm_token(subscription: EmailSubscription) -> str:
    return signing.dumps({"s": subscription.pk, "e": subscription.email}, salt=CONFIRM_SALT)


def _send_mail(*, to: str, subject: str, body: str, unsubscribe: str | None = None) -> None:
    headers = {}
    if unsubscribe:
        # RFC 2369 and RFC 8058 one-click unsubscribe (a POST to the same link).
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers).send()


def _send_quietly(**kwargs: Any) -> None:
    try:
        _send_mail(**kwargs)
    except Exception:  # a mail server outage must not turn into an error page
        log.exception("could not send %r", kwargs.get("subject"))


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            "Enter a valid e-mail address.", [ErrorItem("email", "Enter a valid e-mail address.")]
        ) from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


@transaction.atomic
def email_subscribe(*, mark: TrustMark, email: str) -> None:
    """Ask ``email`` to confirm its subscription to ``mark`` (double opt-in).

    The caller answers the same whatever happens here (new, pending or already confirmed), so the
    form never tells who subscribed; only the mailbox's owner learns anything.
    """
    email = normalise_email(email)
    now = timezone.now()
    sub, _ = EmailSubscription.objects.get_or_create(
        email=email, trust_mark=mark, defaults={"token": secrets.token_urlsafe(32), "created": now}
    )
    if sub.confirmed is not None:
        return
    if sub.confirmation_sent and (now - sub.confirmation_sent).total_seconds() < CONFIRM_RESEND_SECONDS:
        return
    EmailSubscription.objects.filter(pk=sub.pk).update(confirmation_sent=now)
    context = {
        "mark": mark,
        "confirm_url": public_url(reverse("notify:confirm", args=[confirm_token(sub)])),
        "record_url": mark_urls(mark)["record_url"],
        "unsubscribe_url": unsubscribe_url(sub),
        "days": CONFIRM_MAX_AGE // 86400,
    }
    subject, body = _render_email("notify_confirm", context)
    transaction.on_commit(
        lambda: _send_quietly(to=email, subject=subject, body=body, unsubscribe=context["unsubscribe_url"])
    )


def email_subscription_confirm(*, token: str) -> EmailSubscription:
    """Confirm the subscription named by a signed link (valid 7 days); confirming twice is fine."""
    invalid = DomainError(
        "This confirmation link is not valid or has expired. Subscribe again to get a new one.",
        status=400,
        code="invalid_link",
    )
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        raise invalid from None
    sub = (
        EmailSubscription.objects.select_related("trust_mark")
        .filter(pk=data.get("s"), email=data.get("e"))
        .first()
    )
    if sub is None:
        raise invalid
    if sub.confirmed is None:
        sub.confirmed = timezone.now()
        sub.save(update_fields=["confirmed"])
    return sub


def email_unsubscribe(*, token: str) -> None:
    """Remove the subscription of an unsubscribe link (an unknown link does nothing)."""
    EmailSubscription.objects.filter(token=token).delete()


def email_notice_send(*, notice_id: int) -> datetime | None:
    """Mail one event to one subscriber; returns when to retry after a mail-server failure."""
    now = timezone.now()
    if not _claim(EmailNotice, notice_id, now, hold=120):
        return None
    notice = (
        EmailNotice.objects.select_related("subscription", "event", "event__trust_mark")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:  # unsubscribed meanwhile
        return None
    sub, event = notice.subscription, notice.event
    mark = event.trust_mark
    leave = unsubscribe_url(sub)
    context = {
        "mark": mark,
        "event": event,
        "record_url": mark_urls(mark)["record_url"],
        "feed_url": public_url(reverse("notify:mark_feed", args=[mark.mark_id])),
        "unsubscribe_url": leave,
    }
    subject, body = _render_email("notify_event", context)
    try:
        _send_mail(to=sub.email, subject=subject, body=body, unsubscribe=leave)
    except Exception as exc:
        attempts = notice.attempts + 1
        later = timezone.now() + timedelta(seconds=retry_delay(attempts, base=EMAIL_RETRY_BASE_SECONDS))
        done = later > notice.give_up_at
        EmailNotice.objects.filter(pk=notice.pk).update(
            attempts=attempts,
            status=EmailNotice.FAILED if done else EmailNotice.PENDING,
            next_attempt=None if done else later,
            locked_until=None,
            last_error=f"{type(exc).__name__}: {exc}"[:300],
        )
        return None if done else later
    EmailNotice.objects.filter(pk=notice.pk).update(
        attempts=notice.attempts + 1,
        status=EmailNotice.SENT,
        sent=timezone.now(),
        next_attempt=None,
        locked_until=None,
        last_error="",
    )
    return None


# --- the sweep ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    fanned_out: list[int]
    webhooks_due: list[int]
    emails_due: list[int]
    gave_up: int


def notifications_sweep(*, now: datetime | None = None) -> SweepResult:
    """Catch up: fan out recent events a lost task missed, list deliveries and notices that are
    due (for the caller to send), and give up on those past their 24 hours."""
    now = now or timezone.now()
    missed = list(
        TrustMarkEvent.objects.filter(created__gte=now - FANOUT_LOOKBACK, eventfanout__isnull=True)
        .order_by("created")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for event_id in missed:
        event_fanout(event_id=event_id)
    if missed:
        now = max(now, timezone.now())  # the deliveries just created are due now too
    gave_up = WebhookDelivery.objects.filter(
        status=WebhookDelivery.PENDING, give_up_at__lt=now, next_attempt__lt=now - timedelta(minutes=10)
    ).update(status=WebhookDelivery.FAILED, next_attempt=None, finished=now, last_error="gave up after 24 h")
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    webhooks = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.PENDING, next_attempt__lte=now)
        .filter(free)
        .order_by("next_attempt")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    emails = list(
        EmailNotice.objects.filter(status=EmailNotice.PENDING, next_attempt__lte=now)
        .filter(free)
        .order_by("next_attempt")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return SweepResult(missed, webhooks, emails, gave_up)


def notifications_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Forget what is no longer useful: finished deliveries and notices after 30 days (the
    delivery log shows a month), and addresses that never confirmed within the link's 7 days."""
    now = now or timezone.now()
    log_cutoff = now - timedelta(days=LOG_RETENTION_DAYS)
    webhooks, _ = (
        WebhookDelivery.objects.exclude(status=WebhookDelivery.PENDING)
        .filter(created__lt=log_cutoff)
        .delete()
    )
    emails, _ = (
        EmailNotice.objects.exclude(status=EmailNotice.PENDING).filter(created__lt=log_cutoff).delete()
    )
    unconfirmed, _ = EmailSubscription.objects.filter(
        confirmed__isnull=True, created__lt=now - timedelta(seconds=CONFIRM_MAX_AGE)
    ).delete()
    return {"webhook_deliveries": webhooks, "email_notices": emails, "unconfirmed_addresses": unconfirmed}


# --- expiry reminders ---------------------------------------------------------------------------


def reminder_threshold(days_left: int) -> int | None:
    """The one reminder due with ``days_left`` days to go: the smallest threshold reached (5 days
    left → the 7-day reminder, never a late 90-day one), or ``None`` before 90 days."""
    if days_left < 0:
        return None
    reached = [t for t in REMINDER_THRESHOLDS if days_left <= t]
    return min(reached) if reached else None


def expiry_reminders_send(*, today: date | None = None) -> list[ExpiryReminder]:
    """Remind the admins of every organisation whose mark expires within 90, 30 or 7 days.

    Idempotent: one row per mark, threshold and expiry date, so a second run the same day (or a run
    after a missed day) sends only what was not sent; a renewed mark is reminded afresh.
    """
    today = today or timezone.localdate()
    marks = TrustMark.objects.select_related("organisation").filter(
        status__in=[TrustMark.ACTIVE, TrustMark.SUSPENDED],
        expires__gte=today,
        expires__lte=today + timedelta(days=max(REMINDER_THRESHOLDS)),
    )
    sent = []
    for mark in marks:
        days_left = (mark.expires - today).days
        threshold = reminder_threshold(days_left)
        if threshold is None:
            continue
        if ExpiryReminder.objects.filter(
            trust_mark=mark, expires=mark.expires, threshold_days__lte=threshold
        ).exists():
            continue
        admins = list(
            Membership.objects.filter(
                organisation_id=mark.organisation_id, role=Membership.ADMIN, user__is_active=True
            ).select_related("user")
        )
        try:
            with transaction.atomic():
                reminder = ExpiryReminder.objects.create(
                    trust_mark=mark,
                    threshold_days=threshold,
                    expires=mark.expires,
                    days_left=days_left,
                    recipients=len(admins),
                )
        except IntegrityError:  # another run got there first
            continue
        for membership in admins:
            subject, body = _render_email(
                "notify_expiry_reminder",
                {
                    "mark": mark,
                    "recipient": membership.user,
                    "days_left": days_left,
                    "record_url": mark_urls(mark)["record_url"],
                    "base_url": settings.PUBLIC_URL,
                },
            )
            _send_quietly(to=membership.user.email, subject=subject, body=body)
        sent.append(reminder)
    return sent
