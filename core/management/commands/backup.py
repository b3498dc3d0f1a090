"""``manage.py backup OUTPUT.tar.gz``: database, artefacts and (directory) signing keys in one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import backup_create
from lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Write a backup archive (.tar.gz, mode 0600): every database row, every stored artefact and "
        "the signing key ring when it lives in a directory. See docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path, help="the archive to create (must not exist)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup_create(
                output=options["output"], warn=lambda text: self.stderr.write(f"warning: {text}")
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # a full disk, an unreadable artefact: say which, not a traceback
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(
            f"backup written to {summary.path}: database, {summary.files} files, "
            f"{summary.bytes} bytes before compression, keys: {summary.keys_source}"
        )
