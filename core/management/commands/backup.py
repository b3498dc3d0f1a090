"""``manage.py backup OUTPUT.tar.gz``: database, artefacts and (directory) signing keys in one archive."""

from __future__ import annotations

import sys
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
        parser.add_argument("output", help="the archive to create (must not exist), or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            output = sys.stdout.buffer if options["output"] == "-" else Path(options["output"])
            summary = backup_create(output=output, warn=lambda text: self.stderr.write(f"warning: {text}"))
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # a full disk, an unreadable artefact: say which, not a traceback
            raise CommandError(f"backup failed: {exc}") from exc
        # With the archive on stdout, the summary goes to stderr.
        report = self.stdout if summary.path else self.stderr
        report.write(
            f"backup written to {summary.path or 'stdout'}: database, {summary.files} files, "
            f"{summary.bytes} bytes before compression, keys: {summary.keys_source}"
        )
