"""Notification reads: a subscriber's subscriptions and delivery log, the events feeds show."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from trustmarks.models import TrustMark, TrustMarkEvent

from .models import WebhookDelivery, WebhookSubscription

FEED_ENTRIES = 100


def webhook_subscriptions_of(*, user: Any) -> QuerySet[WebhookSubscription]:
    return (
        WebhookSubscription.objects.filter(owner=user)
        .select_related("trust_mark")
        .order_by("-created", "-id")
    )


def webhook_subscriptions_all() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.select_related("trust_mark", "owner").order_by("-created", "-id")


def webhook_subscription_of(*, user: Any, pk: int) -> WebhookSubscription | None:
    """The user's own subscription ``pk`` (``None`` for anyone else's: answered as 404)."""
    return webhook_subscriptions_of(user=user).filter(pk=pk).first()


def webhook_deliveries_of(*, subscription: WebhookSubscription, limit: int = 100) -> list[WebhookDelivery]:
    """The newest deliveries of a subscription with their attempts (the delivery log)."""
    return list(subscription.deliveries.prefetch_related("attempt_log").order_by("-created", "-id")[:limit])


def feed_events(*, mark: TrustMark | None = None, limit: int = FEED_ENTRIES) -> list[TrustMarkEvent]:
    """Status events for the Atom feeds, newest first (the reason is never read from them)."""
    qs = TrustMarkEvent.objects.select_related("trust_mark").defer("reason")
    if mark is not None:
        qs = qs.filter(trust_mark=mark)
    return list(qs.order_by("-created", "-id")[:limit])


def delivery_as_dict(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.msg_id,
        "type": delivery.event_type,
        "status": delivery.status,
        "attempts": [
            {
                "number": a.number,
                "at": a.started.isoformat(),
                "status_code": a.status_code,
                "error": a.error,
                "response_excerpt": a.response_excerpt,
                "duration_ms": a.duration_ms,
            }
            for a in delivery.attempt_log.all()
        ],
        "next_attempt": delivery.next_attempt.isoformat() if delivery.next_attempt else None,
        "created": delivery.created.isoformat(),
        "finished": delivery.finished.isoformat() if delivery.finished else None,
    }
