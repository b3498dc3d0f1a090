from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class MonthlyReportDelivery(models.Model):
    """One monthly governance report e-mailed to one admin of a client. The unique row is claimed
    before the mail goes out, so a second run of the task (or two beats at once) sends nothing
    twice; a mail that could not be sent gives its row back, for the next run to retry."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month the report covers.")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    sent = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month", "recipient"], name="monthly_report_delivery_unique"
            )
        ]
        ordering = ["-month", "organisation_id"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} report of {self.organisation_id} to {self.email}"


class PdfRender(models.Model):
    """A launch pack or monthly governance report PDF, rendered by a worker (a realistic client's
    launch pack takes several seconds to lay out: too long for a request). The file lives in the
    artefact storage under ``launchpacks/``; the row says who asked, for which client and month."""

    LAUNCH_PACK, MONTHLY_REPORT = "launch_pack", "monthly_report"
    KINDS = [(LAUNCH_PACK, "Launch pack"), (MONTHLY_REPORT, "Monthly governance report")]
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "Queued"), (RUNNING, "Rendering"), (DONE, "Ready"), (FAILED, "Failed")]

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=KINDS)
    month = models.DateField(null=True, blank=True)  # monthly reports: the first day of the month
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED, db_index=True)
    pdf_name = models.CharField(max_length=120, blank=True)
    pdf_size = models.PositiveIntegerField(default=0)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["organisation", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} PDF {self.pk} of {self.organisation_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.DONE, self.FAILED)

    @property
    def filename(self) -> str:
        slug = self.organisation.slug
        if self.kind == self.MONTHLY_REPORT and self.month is not None:
            return f"{slug}-governance-report-{self.month:%Y-%m}.pdf"
        return f"{slug}-launch-pack-{self.created:%Y-%m-%d}.pdf"
