"""Subscriptions to trust marks and the record of every notification sent for them.

A status change of a mark (a ``TrustMarkEvent``) is fanned out once (``EventFanout``) into one
``WebhookDelivery`` per matching webhook subscription and one ``EmailNotice`` per confirmed e-mail
subscriber. Delivery rows carry their own schedule (``next_attempt``), so a worker restart or a
lost broker message only delays them: the beat sweep picks up whatever is due.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from trustmarks.models import TrustMark, TrustMarkEvent


class WebhookSubscription(models.Model):
    """A URL that receives signed Standard Webhooks for one mark, or for every mark (``trust_mark``
    empty, shown as ``"*"``)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    trust_mark = models.ForeignKey(
        TrustMark, null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)  # ["trustmark.revoked", ...]
    # Needed in clear to sign (HMAC); shown to the subscriber once, at creation.
    secret = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} → {self.url}"

    @property
    def mark_label(self) -> str:
        return self.trust_mark.mark_id if self.trust_mark_id and self.trust_mark else "*"


class EventFanout(models.Model):
    """Marks a trust-mark event as turned into deliveries (so the sweep never does it twice)."""

    event = models.OneToOneField(TrustMarkEvent, on_delete=models.CASCADE, primary_key=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"fanout of event {self.event_id}"


class WebhookDelivery(models.Model):
    """One event for one subscription: the exact body signed and sent, and its retry schedule."""

    PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
    STATUSES = [(s, s.capitalize()) for s in (PENDING, DELIVERED, FAILED, CANCELLED)]

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        TrustMarkEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    msg_id = models.CharField(max_length=64, unique=True)  # the webhook-id header, same on every retry
    event_type = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=STATUSES, default=PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True, db_index=True)
    give_up_at = models.DateTimeField()
    # A worker holds the row while it sends (no second worker sends the same attempt meanwhile).
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.msg_id} {self.event_type} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, as the delivery log shows it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.CharField(max_length=300, blank=True)  # never more than this is kept
    next_attempt = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class EmailSubscription(models.Model):
    """An e-mail address told of one mark's changes, once it confirmed (double opt-in)."""

    email = models.EmailField(max_length=254)
    trust_mark = models.ForeignKey(TrustMark, on_delete=models.CASCADE, related_name="email_subscriptions")
    token = models.CharField(max_length=64, unique=True)  # in every unsubscribe link
    confirmed = models.DateTimeField(null=True, blank=True)
    confirmation_sent = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["email", "trust_mark"], name="email_subscription_once_per_mark")
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.trust_mark_id}"


class EmailNotice(models.Model):
    """One event mailed to one confirmed subscriber (retried like a webhook if the mail server fails)."""

    PENDING, SENT, FAILED = "pending", "sent", "failed"
    STATUSES = [(s, s.capitalize()) for s in (PENDING, SENT, FAILED)]

    subscription = models.ForeignKey(EmailSubscription, on_delete=models.CASCADE, related_name="notices")
    event = models.ForeignKey(TrustMarkEvent, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=STATUSES, default=PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True, db_index=True)
    give_up_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="email_notice_once_per_event")
        ]

    def __str__(self) -> str:
        return f"notice of event {self.event_id} to {self.subscription_id} ({self.status})"


class ExpiryReminder(models.Model):
    """An expiry reminder sent to a mark's holder (one per threshold per validity period)."""

    trust_mark = models.ForeignKey(TrustMark, on_delete=models.CASCADE, related_name="expiry_reminders")
    threshold_days = models.PositiveIntegerField()  # 90, 30 or 7
    expires = models.DateField()  # the expiry date reminded of: a renewed mark is reminded afresh
    days_left = models.IntegerField()
    recipients = models.PositiveIntegerField(default=0)
    sent = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["trust_mark", "threshold_days", "expires"], name="expiry_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trust_mark_id}: {self.threshold_days}-day reminder for {self.expires}"
