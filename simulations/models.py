"""Simulation runs: a seeded fault-injection run of one workflow version, executed by Celery and
kept as evidence (its parameters are enough to reproduce the report byte for byte)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class SimulationRun(models.Model):
    QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
    STATUSES = [
        (QUEUED, "Queued"),
        (RUNNING, "Running"),
        (DONE, "Done"),
        (FAILED, "Failed"),
        (CANCELLED, "Cancelled"),
    ]

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="simulation_runs")
    workflow = models.ForeignKey("studio.Workflow", on_delete=models.CASCADE, related_name="simulation_runs")
    version = models.ForeignKey(
        "studio.WorkflowVersion", on_delete=models.PROTECT, related_name="simulation_runs"
    )
    workflow_hash = models.CharField(max_length=64)
    catalogue_version = models.CharField(max_length=40)
    seed = models.BigIntegerField()
    n = models.PositiveIntegerField()
    params = models.JSONField(default=dict)  # tolerances, mix overrides, node overrides
    status = models.CharField(max_length=20, choices=STATUSES, default=QUEUED, db_index=True)
    progress_done = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    report = models.JSONField(null=True, blank=True)
    report_hash = models.CharField(max_length=64, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    journal_name = models.CharField(max_length=120, blank=True)  # under MEDIA_ROOT/journals/
    journal_hash = models.CharField(max_length=64, blank=True)  # SHA-256 of the uncompressed JSON lines
    error = models.TextField(blank=True)
    # Why a run failed, for code rather than people: worker_stopped | queue_unavailable | invalid | error.
    failure = models.CharField(max_length=30, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # times a worker started it (redeliveries restart it)
    task_id = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"simulation #{self.pk} of {self.workflow} v{self.version.number if self.version_id else '?'}"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.progress_done / self.n) if self.n else 0

    @property
    def finished_ok(self) -> bool:
        return self.status == self.DONE

    @property
    def active(self) -> bool:
        """Queued or running: the page keeps polling and offers Cancel."""
        return self.status in (self.QUEUED, self.RUNNING)
