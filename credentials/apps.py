from __future__ import annotations

from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    """Credentials for people: the AIDA exam, personal credentials and the public registry."""

    name = "credentials"
    verbose_name = "Credentials for people"

    def ready(self) -> None:
        # Personal credentials take entries in the trust marks' status lists (see services).
        from trustmarks.services import status_list_source_register

        from .services import status_entries

        status_list_source_register("credentials", status_entries)
