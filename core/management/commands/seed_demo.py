from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app adds its demo data here, in dependency order. Every seeder is idempotent.
SEEDERS = [
    "accounts.demo",
    "studio.demo",
    "simulations.demo",
    "assessments.demo",
    "trustmarks.demo",
    "governance.demo",
    "credentials.demo",
]


class Command(BaseCommand):
    help = "Create the demo organisations, users and data (idempotent). Refused in production."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates demo accounts with a known password; it is refused in production."
            )
        log: list[str] = []
        for path in SEEDERS:
            try:
                module = importlib.import_module(path)
            except ModuleNotFoundError as exc:
                if exc.name == path:
                    continue  # that app has no demo data yet
                raise
            with transaction.atomic():
                module.seed(log)
        if log:
            self.stdout.write("Demo data created: " + "; ".join(log))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
