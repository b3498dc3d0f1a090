"""Evidence exports: a PDF evidence pack and a signed ZIP bundle, rendered by a Celery job and kept.

The files live under ``MEDIA_ROOT/exports/`` (outside the web root) with random names and are
served only through access-checked views.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class ExportJob(models.Model):
    QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
    STATUSES = [
        (QUEUED, "Queued"),
        (RUNNING, "Running"),
        (DONE, "Done"),
        (FAILED, "Failed"),
        (CANCELLED, "Cancelled"),
    ]
    WORKFLOWS, SUBMISSION = "workflows", "submission"
    SCOPES = [(WORKFLOWS, "Workflows"), (SUBMISSION, "Assessment submission")]

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="export_jobs")
    scope = models.CharField(max_length=20, choices=SCOPES, default=WORKFLOWS)
    title = models.CharField(max_length=300)
    # The versions are pinned when the export is requested: later saves do not change the pack.
    versions = models.ManyToManyField("studio.WorkflowVersion", related_name="export_jobs")
    submission = models.ForeignKey(
        "assessments.Submission", null=True, blank=True, on_delete=models.PROTECT, related_name="export_jobs"
    )
    rubric_version = models.ForeignKey(
        "psf.RubricVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )

    status = models.CharField(max_length=20, choices=STATUSES, default=QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=200, blank=True)

    pdf_name = models.CharField(max_length=100, blank=True)  # under MEDIA_ROOT/exports/
    bundle_name = models.CharField(max_length=100, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveBigIntegerField(default=0)
    bundle_size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)  # of the pack's artefacts
    signing_kid = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    # Why a job failed, for code rather than people:
    # worker_stopped | queue_unavailable | time_limit | invalid | error.
    failure = models.CharField(max_length=30, blank=True)
    cancel_requested = models.BooleanField(default=False)
    task_id = models.CharField(max_length=100, blank=True)
    # The job's last sign of life: while queued, when it was last handed to the queue; while
    # running, the worker's last beat. The periodic sweep reads it (evidence.services).
    heartbeat = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created"])]

    def __str__(self) -> str:
        return f"export #{self.pk}: {self.title}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.DONE, self.FAILED, self.CANCELLED)

    @property
    def can_retry(self) -> bool:
        """Failed or cancelled: the page offers to run the same export again."""
        return self.status in (self.FAILED, self.CANCELLED)

    @property
    def reference(self) -> str:
        return f"EXP-{self.pk:05d}" if self.pk else "EXP (new)"
