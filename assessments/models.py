"""Deployment Safety Assessment (DSA): an application moving through the six steps of the seed as a
state machine (transitions live in ``assessments/services.py``; each one is audit-logged)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class Assessment(models.Model):
    # States, in the order of the seed's six steps.
    APPLIED = "applied"  # 1. Apply: awaiting an assessor's acknowledgement (due in 2 business days)
    SCOPING = "scoping"  # 2. Scoping: an assessor accepted and is agreeing scope/timeline/checklist
    PREPARING = "preparing"  # 3.+4. Workflow mapping and evidence collection by the organisation
    SUBMITTED = "submitted"  # 4. Submitted: snapshot frozen, waiting in the review queue
    IN_REVIEW = "in_review"  # 5. Assessor review (claimed)
    CLARIFICATION = "clarification"  # 5. Sent back with questions; SLA clock paused
    PASSED = "passed"  # 6. Mark issued
    FAILED = "failed"  # 6. Gap report; one free reassessment within 90 days
    WITHDRAWN = "withdrawn"
    STATUSES = [
        (APPLIED, "Applied"),
        (SCOPING, "Scoping"),
        (PREPARING, "Mapping & evidence"),
        (SUBMITTED, "Submitted — in queue"),
        (IN_REVIEW, "In review"),
        (CLARIFICATION, "Clarification requested"),
        (PASSED, "Passed"),
        (FAILED, "Failed"),
        (WITHDRAWN, "Withdrawn"),
    ]
    OPEN_STATES = (APPLIED, SCOPING, PREPARING, SUBMITTED, IN_REVIEW, CLARIFICATION)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assessments")
    rubric_version = models.ForeignKey(
        "psf.RubricVersion", on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=20, choices=STATUSES, default=APPLIED, db_index=True)

    # 1. Apply
    systems_description = models.TextField(max_length=10000)
    size_tier = models.CharField(max_length=20, choices=Organisation.SIZE_TIERS)
    expedited = models.BooleanField(default=False)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(default=timezone.now)
    acknowledge_due = models.DateField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    # 2. Scoping (by the assigned assessor)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_assessments",
    )
    scope_workflows = models.ManyToManyField("studio.Workflow", blank=True, related_name="assessments")
    scope_summary = models.TextField(blank=True, max_length=5000)  # the AI systems agreed in scope, in words
    timeline = models.TextField(blank=True, max_length=2000)
    target_date = models.DateField(null=True, blank=True)
    # [{"criterion": "PSF-1.1", "evidence": ["workflow_map", ...], "note": ""}, ...] generated from the rubric, editable
    checklist = models.JSONField(default=list, blank=True)
    scoped_at = models.DateTimeField(null=True, blank=True)

    # 4.–5. Submission and review SLA
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True, db_index=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    # 6. Decision
    domain_scores = models.JSONField(default=dict, blank=True)  # {"PSF-1": 3.4, ...}
    computed_passed = models.BooleanField(null=True, blank=True)
    decision_reasons = models.JSONField(default=list, blank=True)  # the pass rule's reasons at decision time
    decision_overridden = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True, max_length=5000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    # Reassessment: a failed assessment opens one free reassessment within 90 days.
    reassessment_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reassessment"
    )
    reassessment_deadline = models.DateField(null=True, blank=True)

    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "review_due"])]

    def __str__(self) -> str:
        return f"DSA-{self.pk:05d} {self.organisation}" if self.pk else "DSA (new)"

    @property
    def reference(self) -> str:
        return f"DSA-{self.pk:05d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES


class EvidenceItem(models.Model):
    """One piece of evidence attached to a criterion while the organisation prepares a submission.

    Files are stored outside the web root under a random name and served only through an
    access-checked view; a submitted snapshot keeps their hashes, and files are never deleted
    while a snapshot cites them.
    """

    FILE, LINK, WORKFLOW, ANALYSIS, SIMULATION, EXPORT = (
        "file",
        "link",
        "workflow",
        "analysis",
        "simulation",
        "export",
    )
    KINDS = [
        (FILE, "Uploaded file"),
        (LINK, "Link"),
        (WORKFLOW, "Workflow version"),
        (ANALYSIS, "PSF analysis"),
        (SIMULATION, "Simulation run"),
        (EXPORT, "Evidence pack"),
    ]

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    criterion = models.CharField(max_length=20, db_index=True)
    kind = models.CharField(max_length=20, choices=KINDS)
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True, max_length=5000)
    url = models.URLField(blank=True, max_length=2000)
    # files
    storage_name = models.CharField(max_length=100, blank=True)  # random, under MEDIA_ROOT/evidence/
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # references to other objects of the same organisation (workflow version, analysis, run, export)
    ref_type = models.CharField(max_length=40, blank=True)
    ref_id = models.BigIntegerField(null=True, blank=True)
    ref_label = models.CharField(max_length=300, blank=True)  # what the reference was when attached
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["criterion", "created"]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.title}"


class Submission(models.Model):
    """An immutable snapshot of what was submitted (criteria → evidence with hashes, in-scope
    workflow versions and their analyses). A resubmission after clarification is a new row."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    snapshot_hash = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment", "-number"]
        constraints = [models.UniqueConstraint(fields=["assessment", "number"], name="submission_unique")]

    def __str__(self) -> str:
        return f"{self.assessment} submission {self.number}"


class CriterionScore(models.Model):
    """An assessor's 0–5 score and comment for one criterion of an assessment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.CharField(max_length=20)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=5000)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="criterion_score_unique"),
            models.CheckConstraint(condition=models.Q(score__lte=5), name="criterion_score_0_5"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}={self.score}"


class Clarification(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="clarifications")
    questions = models.TextField(max_length=10000)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True, max_length=10000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]

    def __str__(self) -> str:
        return f"clarification {self.pk} on {self.assessment_id}"


class GapReport(models.Model):
    """Confidential: visible only to the organisation and assessors, never public or in any API
    that is not access-checked."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="gap_report")
    content = (
        models.JSONField()
    )  # [{"criterion", "title", "domain", "score", "comment", "evidence_needed": [...]}]
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"gap report of {self.assessment_id}"


class ActivityEvent(models.Model):
    """The in-app activity feed of an organisation (and the assessors' view of an assessment)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="activity")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.CASCADE, related_name="activity"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=60)
    text = models.CharField(max_length=500)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.verb}: {self.text[:60]}"
