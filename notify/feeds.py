"""Atom feeds of trust-mark status changes: one per mark, one for every mark of this issuer.

Entries are the public facts of each event (what happened to which mark, when); the assessor's
written reason is never part of them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from trustmarks.models import TrustMark, TrustMarkEvent
from trustmarks.selectors import mark_urls, trust_mark_get
from trustmarks.signing import issuer_id, public_url

from .selectors import feed_events

FEED_MAX_AGE = 300
WORDS = {
    TrustMarkEvent.ISSUED: "issued",
    TrustMarkEvent.SUSPENDED: "suspended",
    TrustMarkEvent.REINSTATED: "reinstated",
    TrustMarkEvent.REVOKED: "revoked",
    TrustMarkEvent.EXPIRED: "expired",
    TrustMarkEvent.RENEWED: "renewed",
}


class _EventFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
        response["Access-Control-Allow-Origin"] = "*"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def author_name(self) -> str:
        return settings.ISSUER_NAME

    def item_title(self, item: TrustMarkEvent) -> str:
        mark = item.trust_mark
        return f"{mark.mark_id} ({mark.company_name}) {WORDS.get(item.action, item.action)}"

    def item_description(self, item: TrustMarkEvent) -> str:
        # Atom1Feed sends the summary as type="html": escape it, so a company called "<script>…"
        # stays text in every feed reader.
        mark = item.trust_mark
        change = (
            f"from {item.from_status} to {item.to_status}" if item.from_status else f"now {item.to_status}"
        )
        return escape(
            f"Trust mark {mark.mark_id} of {mark.company_name} was {WORDS.get(item.action, item.action)} "
            f"on {item.created:%Y-%m-%d} (status {change}). Check it: {mark_urls(mark)['record_url']}"
        )

    def item_link(self, item: TrustMarkEvent) -> str:
        return mark_urls(item.trust_mark)["record_url"]

    def item_guid(self, item: TrustMarkEvent) -> str:
        # Stable, unique per issuer, and not a URL anyone should fetch.
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer_id()}/trust-mark-events/{item.pk}"))

    item_guid_is_permalink = False

    def item_pubdate(self, item: TrustMarkEvent) -> datetime:
        return item.created

    def item_updateddate(self, item: TrustMarkEvent) -> datetime:
        return item.created

    def item_categories(self, item: TrustMarkEvent) -> list[str]:
        return [f"trustmark.{item.action}"]


class MarkFeed(_EventFeed):
    """``/verify/TM-00142/feed.atom``: the status history of one mark."""

    def get_object(self, request: HttpRequest, mark_id: str) -> TrustMark:
        mark = trust_mark_get(mark_id=mark_id)
        if mark is None:
            raise Http404("No trust mark has this id.")
        return mark

    def title(self, obj: TrustMark) -> str:
        return f"Trust mark {obj.mark_id} · {obj.company_name}: status changes"

    def subtitle(self, obj: TrustMark) -> str:
        return f"Issuance, suspension, reinstatement, revocation, renewal and expiry of {obj.mark_id}."

    def link(self, obj: TrustMark) -> str:
        return mark_urls(obj)["record_url"]

    def feed_url(self, obj: TrustMark) -> str:
        return public_url(reverse("notify:mark_feed", args=[obj.mark_id]))

    def feed_guid(self, obj: TrustMark) -> str:
        return self.feed_url(obj)

    def items(self, obj: TrustMark) -> list[TrustMarkEvent]:
        return feed_events(mark=obj)


class IssuerFeed(_EventFeed):
    """``/marks/feed.atom``: every mark's status changes at this issuer."""

    def title(self) -> str:
        return f"{settings.ISSUER_NAME}: trust-mark status changes"

    def subtitle(self) -> str:
        return "Every issuance, suspension, reinstatement, revocation, renewal and expiry of a trust mark."

    def link(self) -> str:
        return public_url("/")

    def feed_url(self) -> str:
        return public_url(reverse("notify:issuer_feed"))

    def feed_guid(self) -> str:
        return self.feed_url()

    def items(self) -> list[TrustMarkEvent]:
        return feed_events()
