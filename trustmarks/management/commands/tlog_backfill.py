"""``manage.py tlog_backfill``: log, once, the history of marks issued before the transparency log."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trustmarks import tlog


class Command(BaseCommand):
    help = "Append every trust-mark event that has no transparency-log entry yet (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        notes: list[str] = []
        count = tlog.backfill(out=notes)
        for note in notes:
            self.stdout.write(note)
        _, checkpoint = tlog.signed_checkpoint()
        self.stdout.write(f"logged {count} event(s); the log now holds {checkpoint.size} entries")
