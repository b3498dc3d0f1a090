"""Telling people what happened: the in-app activity feed and email.

Every transition calls :func:`notify` once. The activity row is written in the transition's
transaction; emails go out after it commits (a rolled-back transition sends nothing), through
``django.core.mail`` (console backend by default, SMTP by settings).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from accounts.access import conflicted_users
from accounts.emails import brand_name_of, sender_for
from accounts.models import Membership, User

from .models import ActivityEvent, Assessment

log = logging.getLogger(__name__)

# Who hears about an event: (audience, email template under templates/emails/).
# Audiences: org_admins, org_members, assessor (the assigned one), assessors (every assessor
# without a conflict of interest; used while nobody is assigned).
EVENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "applied": (("org_admins", "assessment_applied"), ("assessors", "assessment_new_application")),
    "accepted": (("org_members", "assessment_accepted"),),
    "scoped": (("org_members", "assessment_scoped"),),
    "submitted": (
        ("org_admins", "assessment_submitted"),
        ("assessor_or_all", "assessment_submission_received"),
    ),
    "claimed": (("org_admins", "assessment_claimed"),),
    "assigned": (("assessor", "assessment_assigned"),),
    "clarification_requested": (("org_members", "assessment_clarification_requested"),),
    "resubmitted": (("assessor", "assessment_resubmitted"),),
    "passed": (("org_members", "assessment_passed"),),
    "failed": (("org_members", "assessment_failed"),),
    "withdrawn": (("assessor", "assessment_withdrawn"),),
    "reassessment_opened": (
        ("org_admins", "assessment_reassessment_opened"),
        ("assessor", "assessment_assigned"),
    ),
}
# Events that only reach the feed (no email).
FEED_ONLY = {
    "evidence_added",
    "evidence_removed",
    "scope_updated",
    "clarification_answered",
    "scope_workflow_added",
}


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    sender: str = ""


def _org_users(assessment: Assessment, *, admins_only: bool) -> list[User]:
    qs = Membership.objects.filter(
        organisation_id=assessment.organisation_id, user__is_active=True
    ).select_related("user")
    if admins_only:
        qs = qs.filter(role=Membership.ADMIN)
    return [m.user for m in qs]


def _assessors(assessment: Assessment) -> list[User]:
    conflicted = conflicted_users(assessment.organisation_id).values("pk")
    return list(User.objects.filter(is_active=True, is_assessor=True).exclude(pk__in=conflicted))


def recipients(assessment: Assessment, audience: str) -> list[User]:
    if audience == "org_admins":
        return _org_users(assessment, admins_only=True)
    if audience == "org_members":
        return _org_users(assessment, admins_only=False)
    if audience == "assessor":
        return [assessment.assessor] if assessment.assessor and assessment.assessor.is_active else []
    if audience == "assessors":
        return _assessors(assessment)
    if audience == "assessor_or_all":
        return recipients(assessment, "assessor") or _assessors(assessment)
    raise ValueError(f"unknown audience {audience}")


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``emails/<template>.txt``; its first line is ``Subject: …``."""
    text = render_to_string(f"emails/{template}.txt", context).lstrip()
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"emails/{template}.txt must start with a Subject: line")
    # Headers must stay on one line whatever an organisation is called.
    return " ".join(first.removeprefix("Subject:").split())[:200], body.strip() + "\n"


def _send(emails: Iterable[Email]) -> None:
    for email in emails:
        try:
            send_mail(email.subject, email.body, email.sender or settings.DEFAULT_FROM_EMAIL, [email.to])
        except Exception:  # a mail server outage must not undo a recorded decision
            log.exception("could not send %r to %s", email.subject, email.to)


def notify(
    *, assessment: Assessment, actor: User | None, event: str, text: str, extra: dict[str, Any] | None = None
) -> ActivityEvent:
    """Write the activity event and queue the emails of ``event`` for after the commit."""
    activity = ActivityEvent.objects.create(
        organisation_id=assessment.organisation_id,
        assessment=assessment,
        actor=actor,
        verb=event,
        text=text[:500],
    )
    if event in FEED_ONLY:
        return activity
    base = settings.PUBLIC_URL
    emails: list[Email] = []
    for audience, template in EVENTS[event]:
        on_org_side = audience.startswith("org_")
        path = f"/assessments/{assessment.pk}/" if on_org_side else f"/review/{assessment.pk}/"
        # Mail to the organisation's members carries its branding; mail to assessors stays ours.
        org = assessment.organisation if on_org_side else None
        for user in recipients(assessment, audience):
            context = {
                "brand_name": brand_name_of(org),
                "assessment": assessment,
                "recipient": user,
                "actor": actor,
                "text": text,
                "url": base + path,
                "base_url": base,
                **(extra or {}),
            }
            subject, body = render_email(template, context)
            emails.append(Email(user.email, subject, body, sender_for(org)))
    if emails:
        transaction.on_commit(lambda: _send(emails))
    return activity


def sla_reminders_send() -> int:
    """Email assessors about acknowledgements and reviews due today or overdue; returns mails sent.

    Run once a business day (the Celery task ``assessments.tasks.sla_reminders`` or
    ``manage.py assessment_sla_reminders``).
    """
    from . import sla

    today = sla.today()
    due = Assessment.objects.select_related("organisation", "assessor").filter(_due_by(today))
    sent = 0
    for a in due:
        people = recipients(a, "assessor_or_all")
        state = "acknowledgement" if a.status == Assessment.APPLIED else "review"
        date_due = a.acknowledge_due if a.status == Assessment.APPLIED else a.review_due
        if date_due is None:
            continue
        for user in people:
            subject, body = render_email(
                "assessment_sla_reminder",
                {
                    "assessment": a,
                    "recipient": user,
                    "what": state,
                    "due": date_due,
                    "overdue": date_due < today,
                    "url": f"{settings.PUBLIC_URL}/review/{a.pk}/",
                },
            )
            _send([Email(user.email, subject, body)])
            sent += 1
    return sent


def _due_by(today: Any) -> Q:
    return Q(status=Assessment.APPLIED, acknowledge_due__lte=today) | Q(
        status__in=[Assessment.SUBMITTED, Assessment.IN_REVIEW], review_due__lte=today
    )
