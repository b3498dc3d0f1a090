from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation
from studio.models import Workflow, WorkflowVersion


class ImportedResult(models.Model):
    """A tool's results file (promptfoo, OTLP traces) imported onto one workflow version: the
    original kept as an artefact with its SHA-256, and the report (what was understood, the PSF
    mapping, observed against designed, findings) computed once at import."""

    FORMATS = [("promptfoo", "promptfoo results.json"), ("otlp", "OpenTelemetry traces (OTLP/JSON)")]

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="imported_results")
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="imported_results")
    # RESTRICT: a version with imports cannot be deleted alone, but goes with its organisation.
    version = models.ForeignKey(WorkflowVersion, on_delete=models.RESTRICT, related_name="imported_results")
    format = models.CharField(max_length=20, choices=FORMATS)
    tool = models.CharField(max_length=40)
    tool_version = models.CharField(max_length=80, blank=True)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField()
    stored_name = models.CharField(max_length=200)
    report = models.JSONField()
    failing = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["workflow", "-created"])]

    def __str__(self) -> str:
        return f"{self.tool} results on {self.workflow} v{self.version.number}"

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.report.get("summary", {}).get("counts", {}))

    @property
    def failing_findings(self) -> list[dict[str, object]]:
        return [f for f in self.report.get("findings", []) if f.get("failing")]
