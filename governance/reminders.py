"""Reminders of the improvement plan: each organisation's admins hear about actions due within
seven days or overdue, at most once per action every seven days (``ImprovementAction.reminded_at``).

One e-mail per admin per organisation lists its actions. The actions are claimed (``reminded_at``
set) in the same transaction that queues the mails, so two overlapping runs never remind twice
and a rolled-back run reminds nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.emails import email_after_commit
from accounts.models import Membership, Organisation

from .models import ImprovementAction

DUE_WITHIN_DAYS = 7
REMIND_EVERY = timedelta(days=7)


@dataclass(frozen=True)
class ReminderOutcome:
    organisations: int
    actions: int
    emails: int


def _due(now: datetime) -> Q:
    horizon = timezone.localdate(now) + timedelta(days=DUE_WITHIN_DAYS)
    return (
        Q(due__lte=horizon)
        & ~Q(status=ImprovementAction.DONE)
        & (Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - REMIND_EVERY))
    )


def action_reminders_send(*, now: datetime | None = None) -> ReminderOutcome:
    """E-mail every organisation's admins about its actions due soon or overdue (see above)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    org_ids = sorted(
        set(ImprovementAction.objects.filter(_due(now)).values_list("organisation_id", flat=True))
    )
    orgs = actions = emails = 0
    for org in Organisation.objects.filter(pk__in=org_ids).order_by("pk"):
        with transaction.atomic():
            rows = list(
                ImprovementAction.objects.select_for_update()
                .filter(_due(now), organisation=org)
                .order_by("due", "pk")
            )
            if not rows:  # another run claimed them meanwhile
                continue
            ImprovementAction.objects.filter(pk__in=[r.pk for r in rows]).update(reminded_at=now)
            overdue = [r for r in rows if r.due < today]
            soon = [r for r in rows if r.due >= today]
            admins = (
                Membership.objects.select_related("user")
                .filter(organisation=org, role=Membership.ADMIN, user__is_active=True)
                .order_by("user__email")
            )
            url = f"{settings.PUBLIC_URL.rstrip('/')}{reverse('governance:home')}"
            for m in admins:
                email_after_commit(
                    to=m.user.email,
                    template="governance_action_reminder",
                    context={
                        "organisation": org,
                        "recipient": m.user,
                        "overdue": overdue,
                        "soon": soon,
                        "today": today,
                        "url": url,
                    },
                )
                emails += 1
            orgs += 1
            actions += len(rows)
    return ReminderOutcome(organisations=orgs, actions=actions, emails=emails)
