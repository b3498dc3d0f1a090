"""``manage.py restore INPUT.tar.gz``: bring back an instance from a ``manage.py backup`` archive."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import backup_restore
from lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore a backup archive into this instance (database, artefacts, directory key ring). "
        "Checks the whole archive first; refuses an instance that has data unless --force. "
        "See docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="an archive written by manage.py backup, or - for stdin")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data of an instance that is not empty (its database rows are deleted)",
        )
        parser.add_argument(
            "--allow-other-keys",
            action="store_true",
            help="restore even though the configured signing keys lack keys the backup used",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup_restore(
                archive=sys.stdin.buffer if options["archive"] == "-" else Path(options["archive"]),
                force=options["force"],
                allow_other_keys=options["allow_other_keys"],
                warn=lambda text: self.stderr.write(f"warning: {text}"),
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        self.stdout.write(f"restored {summary.files} files; {summary.objects}; {summary.keys}")
