from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class Workflow(models.Model):
    """A mapped AI workflow of one organisation. Its content lives in immutable versions."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="workflows")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    head_number = models.PositiveIntegerField(default=0)
    template_slug = models.CharField(max_length=80, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)
    # Deleting hides a workflow; its versions stay, because submissions and exports may cite them.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated"]
        indexes = [models.Index(fields=["organisation", "deleted_at", "-updated"])]

    def __str__(self) -> str:
        return self.name


class WorkflowVersion(models.Model):
    """One immutable saved state of a workflow: the normalised ``workflowos.workflow/v1`` document
    and the SHA-256 of its canonical JSON."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    content_hash = models.CharField(max_length=64, db_index=True)
    node_count = models.PositiveIntegerField(default=0)
    edge_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workflow", "-number"]
        constraints = [models.UniqueConstraint(fields=["workflow", "number"], name="workflow_version_unique")]

    def __str__(self) -> str:
        return f"{self.workflow} v{self.number}"


class Analysis(models.Model):
    """A stored PSF analysis of a document (by content hash) under a rubric version and rule set.
    Re-analysing an unchanged version returns this row instead of recomputing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="analyses")
    content_hash = models.CharField(max_length=64)
    rubric_version = models.ForeignKey("psf.RubricVersion", on_delete=models.PROTECT, related_name="analyses")
    rules_version = models.CharField(max_length=40)
    result = models.JSONField()
    overall_score = models.FloatField(null=True)
    passed = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "content_hash", "rubric_version", "rules_version"],
                name="analysis_unique",
            )
        ]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"analysis {self.content_hash[:10]} ({self.rubric_version})"
