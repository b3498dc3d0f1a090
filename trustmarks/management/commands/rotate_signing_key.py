from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lib.errors import DomainError
from trustmarks.services import signing_key_rotate


class Command(BaseCommand):
    help = (
        "Retire the active Ed25519 signing key and create a new one. Retired keys stay in "
        "/.well-known/jwks.json, so credentials signed before keep verifying."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            new_kid, retired = signing_key_rotate()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"New active key: {new_kid}")
        self.stdout.write(f"Retired keys still published: {', '.join(retired) or 'none'}")
