"""E-mailing each client's monthly governance report to its admins, once per month.

The beat task runs daily and sends the report of the month that just ended (a beat that was down
on the 1st still delivers on the 2nd); :class:`~msp.models.MonthlyReportDelivery` rows make every
run after the first a no-op. The mail links to the report page (which offers the PDF) behind sign-in rather
than attaching the PDF: a forwarded mail then carries no client data, and access stays with members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.branding import branding_for
from accounts.emails import render_email
from accounts.models import Membership, Organisation

from .launchpack import month_start, previous_month
from .models import MonthlyReportDelivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    sent: int
    skipped: int
    failed: int


def report_url(*, organisation: Organisation, month: date) -> str:
    """The absolute address of the report page (it offers the PDF)."""
    path = reverse("msp:monthly-report", kwargs={"slug": organisation.slug, "month": month.strftime("%Y-%m")})
    return settings.PUBLIC_URL + path


def clients_with_reports() -> list[Organisation]:
    """Organisations that get a monthly report: those with at least one live workflow."""
    return list(
        Organisation.objects.filter(workflows__deleted_at__isnull=True).distinct().order_by("name", "pk")
    )


def monthly_reports_send(*, month: date | None = None) -> SendOutcome:
    """E-mail the governance report of ``month`` (default: last month) to every admin of every
    client with workflows, each at most once (see the module docstring)."""
    month = month_start(month or previous_month(timezone.localdate()))
    sent = skipped = failed = 0
    for org in clients_with_reports():
        page = report_url(organisation=org, month=month)
        brand = branding_for(org)
        admins = (
            Membership.objects.select_related("user")
            .filter(organisation=org, role=Membership.ADMIN, user__is_active=True)
            .order_by("user__email")
        )
        for m in admins:
            try:
                with transaction.atomic():
                    delivery = MonthlyReportDelivery.objects.create(
                        organisation=org, month=month, recipient=m.user, email=m.user.email
                    )
            except IntegrityError:
                skipped += 1
                continue
            subject, body = render_email(
                "msp_monthly_report",
                {
                    "organisation": org,
                    "brand": brand,
                    "recipient": m.user,
                    "month": month,
                    "url": page,
                    "base_url": settings.PUBLIC_URL,
                },
            )
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [m.user.email])
            except Exception:  # the next run retries this one recipient
                log.exception("monthly report %s of %s: could not mail %s", month, org.slug, m.user.email)
                delivery.delete()
                failed += 1
                continue
            sent += 1
    return SendOutcome(sent=sent, skipped=skipped, failed=failed)
