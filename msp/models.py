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
