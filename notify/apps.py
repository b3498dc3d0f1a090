from __future__ import annotations

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Telling relying parties and holders about trust-mark changes: webhooks, e-mail, Atom feeds,
    expiry reminders."""

    name = "notify"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the TrustMarkEvent receiver
