from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.notifications import sla_reminders_send


class Command(BaseCommand):
    help = (
        "Email assessors about acknowledgements and reviews due today or overdue (run once a business day)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = sla_reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent.")
