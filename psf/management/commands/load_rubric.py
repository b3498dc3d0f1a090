from __future__ import annotations

import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from lib.errors import DomainError
from psf.maturity import PAI8_PATH
from psf.rubric import CURRENT_RUBRIC_PATH
from psf.services import load_framework_file, rubric_store


class Command(BaseCommand):
    help = (
        "Validate framework files (the PSF rubric or PAI-8; YAML or JSON) and load each as a version. "
        "Without a file, loads the bundled PSF v1.1 and PAI-8. Idempotent; exit 2 on an invalid file, "
        "nothing half-loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="*", default=[str(CURRENT_RUBRIC_PATH), str(PAI8_PATH)])
        parser.add_argument(
            "--not-current", action="store_true", help="Load without making it the current version."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files = options["file"] if isinstance(options["file"], list) else [options["file"]]
        # Validate every file before storing any, so a bad file leaves nothing half-loaded.
        parsed = []
        for file in files:
            try:
                parsed.append((file, load_framework_file(file)))
            except DomainError as exc:
                self._fail(file, exc)
        try:
            with transaction.atomic():
                outcomes = [
                    rubric_store(rubric=fw, source=str(file), make_current=not options["not_current"])
                    for file, fw in parsed
                ]
        except DomainError as exc:
            self._fail(", ".join(files), exc)
        for outcome in outcomes:
            rv = outcome.version
            self.stdout.write(
                f"{rv.key}: {outcome.action} (sha256 {rv.content_hash[:12]}…){' — current' if rv.is_current else ''}"
            )

    def _fail(self, file: str, exc: DomainError) -> NoReturn:
        self.stderr.write(f"{file}: {exc.message}")
        for line in exc.lines():
            self.stderr.write(f"  {line}")
        sys.exit(2 if exc.status != 409 else 1)
