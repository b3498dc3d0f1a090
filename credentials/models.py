"""Personal credentials: AIDA exam attempts (questions and their per-attempt option order kept
here, never in the page) and the credentials a pass issues, with their public registry facts.

Writes go through ``credentials/services.py``.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

AIDA = "AIDA"
KINDS = [(AIDA, "AIDA")]


def format_credential_id(kind: str, year: int, number: int) -> str:
    return f"{kind}-{year}-{number:04d}"


class CredentialSequence(models.Model):
    """The next number of one credential kind in one year (``AIDA-2026`` → 1, 2, …)."""

    name = models.CharField(max_length=20, primary_key=True)
    next_value = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name}: next {self.next_value}"


class ExamAttempt(models.Model):
    """One AIDA attempt. ``public_id`` is the only id a page or URL shows."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_attempts")
    kind = models.CharField(max_length=8, choices=KINDS, default=AIDA)
    bank_version = models.CharField(max_length=20)
    seed = models.BigIntegerField()
    pass_mark = models.PositiveSmallIntegerField()
    started = models.DateTimeField(default=timezone.now)
    submitted = models.DateTimeField(null=True, blank=True, db_index=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    per_domain = models.JSONField(default=dict)  # {"PSF-1": [2, 3], ...} after submission

    class Meta:
        ordering = ["-started", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} attempt {self.public_id} by {self.user_id}"

    @property
    def is_open(self) -> bool:
        return self.submitted is None


class AttemptQuestion(models.Model):
    """One question of an attempt: the bank question, the order its options are shown in
    (``option_order[shown] = original index``), the opaque per-attempt token of each shown
    option, and the original index of the option chosen."""

    attempt = models.ForeignKey(ExamAttempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()  # 1-based, as shown
    question_id = models.CharField(max_length=20)
    domain = models.CharField(max_length=10)
    option_order = models.JSONField()
    option_tokens = models.JSONField()
    chosen = models.PositiveSmallIntegerField(null=True, blank=True)  # original index
    answered = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="one_question_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} #{self.position} {self.question_id}"

    def token_of_chosen(self) -> str | None:
        if self.chosen is None:
            return None
        return self.option_tokens[self.option_order.index(self.chosen)]


class PersonalCredential(models.Model):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    STATUSES = [(ACTIVE, "Active"), (SUSPENDED, "Suspended"), (REVOKED, "Revoked"), (EXPIRED, "Expired")]

    kind = models.CharField(max_length=8, choices=KINDS, default=AIDA)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="personal_credentials"
    )
    attempt = models.OneToOneField(
        ExamAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="credential"
    )
    # The name as the holder chose to show it, frozen into the signed credential.
    holder_name = models.CharField(max_length=120)
    listed = models.BooleanField(default=False)  # found by the registry's name search
    issued = models.DateField()
    expires = models.DateField(db_index=True)  # last valid day
    status = models.CharField(max_length=12, choices=STATUSES, default=ACTIVE, db_index=True)
    status_reason = models.TextField(blank=True, max_length=2000)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # The entry in the trust marks' two-bit message status list (allocated from the same index space).
    status_index = models.PositiveIntegerField(unique=True)
    credential_jwt = models.TextField()
    credential_kid = models.CharField(max_length=100)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="one_credential_per_id"),
        ]
        indexes = [models.Index(fields=["listed", "holder_name"], name="credential_listed_name")]

    def __str__(self) -> str:
        return f"{self.credential_id} {self.holder_name}"

    @property
    def credential_id(self) -> str:
        return format_credential_id(self.kind, self.year, self.number)

    def effective_status(self, today: date | None = None) -> str:
        today = today or timezone.localdate()
        if self.status in (self.ACTIVE, self.SUSPENDED) and today > self.expires:
            return self.EXPIRED
        return self.status

    def is_valid(self, today: date | None = None) -> bool:
        return self.effective_status(today) == self.ACTIVE
