from __future__ import annotations

from django.db import models
from django.utils import timezone


class RubricVersion(models.Model):
    """One loaded version of a framework's rubric (e.g. PSF v1.1), stored whole as validated JSON.

    Immutable once anything refers to it (an assessment, a trust mark): a change is a new version.
    Several versions and frameworks live side by side; one per framework is current.
    """

    framework = models.CharField(max_length=20)
    version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    data = models.JSONField()
    content_hash = models.CharField(max_length=64)
    is_current = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["framework", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "version"], name="rubric_framework_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.framework} v{self.version}"

    @property
    def key(self) -> str:
        return f"{self.framework} v{self.version}"
