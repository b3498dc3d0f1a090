from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lib.errors import DomainError
from psf.rubric import CURRENT_RUBRIC_PATH
from psf.services import rubric_load


class Command(BaseCommand):
    help = "Validate a rubric file (YAML or JSON) and load it as a version. Idempotent; exit 2 on an invalid file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(CURRENT_RUBRIC_PATH))
        parser.add_argument(
            "--not-current", action="store_true", help="Load without making it the current version."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome = rubric_load(path=options["file"], make_current=not options["not_current"])
        except DomainError as exc:
            self.stderr.write(f"{options['file']}: {exc.message}")
            for line in exc.lines():
                self.stderr.write(f"  {line}")
            sys.exit(2 if exc.status != 409 else 1)
        rv = outcome.version
        self.stdout.write(
            f"{rv.key}: {outcome.action} (sha256 {rv.content_hash[:12]}…){' — current' if rv.is_current else ''}"
        )
