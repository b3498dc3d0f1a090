"""Trust-mark reads: the public lookups (verify API, record page, badges) and the lists that
organisations and assessors see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Organisation

from .models import LifecycleRequest, StatusListCredential, TrustMark, TrustMarkEvent
from .signing import public_url

MARK_ID_RE = re.compile(r"TM-([0-9]{5})", re.ASCII | re.IGNORECASE)  # tm-00142 is TM-00142
STATUS_WORDS = {
    TrustMark.ACTIVE: "Active — valid",
    TrustMark.SUSPENDED: "Suspended — not valid",
    TrustMark.REVOKED: "Revoked — not valid",
    TrustMark.EXPIRED: "Expired — not valid",
}


def parse_mark_id(text: str) -> int | None:
    """The number of a well-formed mark id (``TM-00142`` → 142), else ``None``."""
    match = MARK_ID_RE.fullmatch(text)
    return int(match.group(1)) if match else None


def trust_mark_get(*, mark_id: str) -> TrustMark | None:
    """The mark with this public id (one indexed query, rubric version joined), or ``None``."""
    number = parse_mark_id(mark_id)
    if number is None:
        return None
    return TrustMark.objects.select_related("rubric_version").filter(number=number).first()


def trust_marks_of(*, organisation: Organisation) -> QuerySet[TrustMark]:
    """An organisation's marks, newest first."""
    return (
        TrustMark.objects.filter(organisation=organisation)
        .select_related("rubric_version")
        .order_by("-number")
    )


def trust_marks_list(*, status: str | None = None, today: date | None = None) -> list[TrustMark]:
    """Every mark for the assessors' list, optionally only those whose current status is ``status``."""
    today = today or timezone.localdate()
    marks = list(TrustMark.objects.select_related("organisation", "rubric_version").order_by("-number"))
    if status:
        marks = [m for m in marks if m.effective_status(today) == status]
    return marks


def lifecycle_requests_pending() -> list[LifecycleRequest]:
    """Revocations and reinstatements waiting for a second assessor, oldest first."""
    return list(
        LifecycleRequest.objects.filter(state=LifecycleRequest.PENDING)
        .select_related("trust_mark", "requested_by")
        .order_by("created", "id")
    )


def trust_marks_review_due(*, today: date | None = None) -> list[TrustMark]:
    """Marks whose annual surveillance review is due (from 60 days before expiry), soonest first.

    A mark that expired in the last 60 days stays in the queue, so a late renewal is not missed.
    """
    today = today or timezone.localdate()
    marks = TrustMark.objects.filter(next_review__lte=today).filter(
        Q(status__in=[TrustMark.ACTIVE, TrustMark.SUSPENDED])
        | Q(status=TrustMark.EXPIRED, expires__gte=today - timedelta(days=60))
    )
    return list(marks.select_related("organisation").order_by("next_review", "number"))


PUBLIC_HISTORY_WORDS = {
    TrustMarkEvent.ISSUED: "Issued",
    TrustMarkEvent.SUSPENDED: "Suspended",
    TrustMarkEvent.REINSTATED: "Reinstated",
    TrustMarkEvent.REVOKED: "Revoked",
    TrustMarkEvent.RENEWED: "Renewed",
    TrustMarkEvent.EXPIRED: "Expired",
}


@dataclass(frozen=True)
class PublicHistoryEntry:
    """One status change as the public sees it: when and what, never why or who."""

    day: date
    kind: str
    label: str


def trust_mark_public_history(*, mark: TrustMark, today: date | None = None) -> list[PublicHistoryEntry]:
    """The mark's status history for the public record, oldest first: dates and kinds only.

    Only the action and the date are read, so a confidential reason or an assessor's name cannot
    reach the page. An expiry the periodic task has not recorded yet is shown from the day after
    the last valid day, as the verify API already reports it.
    """
    rows = (
        TrustMarkEvent.objects.filter(trust_mark=mark)
        .order_by("created", "id")
        .values_list("action", "created")
    )
    entries = [
        PublicHistoryEntry(
            timezone.localtime(created).date(), action, PUBLIC_HISTORY_WORDS.get(action, action)
        )
        for action, created in rows
    ]
    today = today or timezone.localdate()
    if (
        mark.effective_status(today) == TrustMark.EXPIRED
        and mark.status != TrustMark.EXPIRED
        and (not entries or entries[-1].kind != TrustMarkEvent.EXPIRED)
    ):
        entries.append(
            PublicHistoryEntry(mark.expires + timedelta(days=1), TrustMarkEvent.EXPIRED, "Expired")
        )
    return entries


def mark_urls(mark: TrustMark) -> dict[str, str]:
    """The absolute public URLs of a mark: record, credential and badges."""
    mark_id = mark.mark_id
    return {
        "record_url": public_url(reverse("trustmarks:record", args=[mark_id])),
        "credential_url": public_url(reverse("trustmarks:credential", args=[mark_id])),
        "badge_svg": public_url(reverse("trustmarks:badge_svg", args=[mark_id])),
        "badge_png": public_url(reverse("trustmarks:badge_png", args=[mark_id])),
        "badge_pdf": public_url(reverse("trustmarks:badge_pdf", args=[mark_id])),
    }


def verify_answer(*, mark: TrustMark, today: date | None = None) -> dict[str, Any]:
    """The public verify answer: the four keys of the published example first, then the rest.

    Only public facts: nothing from the assessment beyond the per-domain scores.
    """
    status = mark.effective_status(today)
    urls = mark_urls(mark)
    return {
        "valid": status == TrustMark.ACTIVE,
        "company": mark.company_name,
        "expires": mark.expires.isoformat(),
        "domains": mark.domains,
        "id": mark.mark_id,
        "status": status,
        "issued": mark.issued.isoformat(),
        "psf_version": mark.rubric_version.version,
        "scores": dict(mark.scores),
        "record_url": urls["record_url"],
        "credential_url": urls["credential_url"],
    }


def embed_snippet(mark: TrustMark) -> str:
    """The HTML an organisation pastes into its site: the SVG badge linking to the record."""
    urls = mark_urls(mark)
    alt = f"PAI Production Safe trust mark {mark.mark_id} for {mark.company_name} — verify"
    return (
        f'<a href="{escape(urls["record_url"])}" rel="noopener">'
        f'<img src="{escape(urls["badge_svg"])}" alt="{escape(alt)}" width="344" height="96"></a>'
    )


def status_list_stored(*, purpose: str) -> str | None:
    """The last published status-list VC-JWT of ``purpose``, or ``None`` if none was published."""
    row = StatusListCredential.objects.filter(purpose=purpose).only("jwt").first()
    return row.jwt if row is not None and row.jwt else None
