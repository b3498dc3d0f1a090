"""Trust marks: issued on a passed assessment, verified publicly, published as signed credentials.

Writes go through ``trustmarks/services.py``; every issuance and status change is also appended
to the public ``trustmarks`` chain of the audit log.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation

FIRST_NUMBER = 142  # the demo's first mark is TM-00142; a fresh instance counts on from here
MAX_NUMBER = 99_999  # "TM-" + five digits


def format_mark_id(number: int) -> str:
    return f"TM-{number:05d}"


class TrustMarkSequence(models.Model):
    """The next trust-mark number, one row per sequence, locked while a number is taken."""

    name = models.CharField(max_length=40, primary_key=True)
    next_value = models.PositiveIntegerField(default=FIRST_NUMBER)

    def __str__(self) -> str:
        return f"{self.name}: next {self.next_value}"


class TrustMark(models.Model):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    STATUSES = [(ACTIVE, "Active"), (SUSPENDED, "Suspended"), (REVOKED, "Revoked"), (EXPIRED, "Expired")]

    number = models.PositiveIntegerField(unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="trust_marks")
    assessment = models.OneToOneField(
        "assessments.Assessment", on_delete=models.PROTECT, related_name="trust_mark"
    )
    rubric_version = models.ForeignKey(
        "psf.RubricVersion", on_delete=models.PROTECT, related_name="trust_marks"
    )
    # Public facts frozen at issuance, so the API, the badges and the signed credential agree
    # even if the organisation is renamed later.
    company_name = models.CharField(max_length=200)
    domains = models.CharField(max_length=100)  # "PSF-1..8"
    scores = models.JSONField(default=dict)  # {"PSF-1": 3.4, ...}

    issued = models.DateField()
    expires = models.DateField(db_index=True)  # last valid day (UTC), one year after issue
    status = models.CharField(max_length=12, choices=STATUSES, default=ACTIVE, db_index=True)
    status_reason = models.TextField(blank=True, max_length=2000)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Random positions in the two published Bitstring Status Lists.
    revocation_index = models.PositiveIntegerField(unique=True)
    suspension_index = models.PositiveIntegerField(unique=True)
    credential_jwt = models.TextField()
    credential_kid = models.CharField(max_length=100)

    # Annual surveillance: the next review falls 60 days before expiry.
    last_review = models.DateField()
    next_review = models.DateField(db_index=True)

    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=MAX_NUMBER),
                name="trust_mark_number_five_digits",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mark_id} {self.company_name}"

    @property
    def mark_id(self) -> str:
        return format_mark_id(self.number)

    def effective_status(self, today: date | None = None) -> str:
        """The status as of ``today``: an active or suspended mark past its expiry is expired,
        whether or not the periodic expiry task has run yet."""
        today = today or timezone.localdate()
        if self.status in (self.ACTIVE, self.SUSPENDED) and today > self.expires:
            return self.EXPIRED
        return self.status

    def is_valid(self, today: date | None = None) -> bool:
        return self.effective_status(today) == self.ACTIVE

    def review_due(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.effective_status(today) in (self.ACTIVE, self.SUSPENDED) and today >= self.next_review


class TrustMarkEvent(models.Model):
    """The lifecycle history of one mark as assessors see it (with the written reason).

    The public ``trustmarks`` audit chain records the same change with a hash of the reason.
    """

    ISSUED, SUSPENDED, REINSTATED, REVOKED, EXPIRED, RENEWED = (
        "issued",
        "suspended",
        "reinstated",
        "revoked",
        "expired",
        "renewed",
    )
    ACTIONS = [(a, a.capitalize()) for a in (ISSUED, SUSPENDED, REINSTATED, REVOKED, EXPIRED, RENEWED)]

    trust_mark = models.ForeignKey(TrustMark, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=ACTIONS)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    reason = models.TextField(blank=True, max_length=2000)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audit_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.trust_mark.mark_id} {self.action}"


class LifecycleRequest(models.Model):
    """A revocation or reinstatement one assessor asked for, waiting for a second assessor (four
    eyes). The mark's status, the status lists and the public log change only on approval."""

    REVOKE, REINSTATE = "revoke", "reinstate"
    ACTIONS = [(REVOKE, "Revoke"), (REINSTATE, "Reinstate")]
    PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
    STATES = [(PENDING, "Pending"), (APPROVED, "Approved"), (REJECTED, "Rejected"), (WITHDRAWN, "Withdrawn")]

    trust_mark = models.ForeignKey(TrustMark, on_delete=models.CASCADE, related_name="requests")
    action = models.CharField(max_length=12, choices=ACTIONS)
    reason = models.TextField(max_length=2000)  # confidential, like TrustMarkEvent.reason
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=12, choices=STATES, default=PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=2000)
    # The status change the approval made.
    event = models.OneToOneField(
        TrustMarkEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="request"
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # One open request per mark: a second would race the first.
            models.UniqueConstraint(
                fields=["trust_mark"],
                condition=models.Q(state="pending"),
                name="one_pending_request_per_mark",
            )
        ]

    def __str__(self) -> str:
        return f"{self.trust_mark.mark_id} {self.action} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.PENDING


class SurveillanceReview(models.Model):
    """The annual surveillance review of a mark: is the evidence still valid, are the domain
    scores confirmed or changed. A renewal needs one completed since the mark's last review."""

    trust_mark = models.ForeignKey(TrustMark, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    evidence_valid = models.BooleanField()
    scores = models.JSONField(default=dict)  # the domain scores after the review
    changed = models.JSONField(default=list)  # the domains whose score changed
    notes = models.TextField(max_length=4000)  # confidential
    renewed_at = models.DateTimeField(null=True, blank=True)  # the renewal that used it

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.trust_mark.mark_id} review {self.created:%Y-%m-%d}"


class StatusListCredential(models.Model):
    """The signed Bitstring Status List last published for one purpose (revocation, suspension).

    Rebuilt from the marks' statuses on every change, so it can never drift from them.
    """

    purpose = models.CharField(max_length=12, primary_key=True)
    jwt = models.TextField()
    flagged = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.purpose} list ({self.flagged} flagged)"


# The transparency log's tables live in their own module (trustmarks.tlog_models).
from .tlog_models import LogEntry, LogHead, LogNode  # noqa: E402, F401
