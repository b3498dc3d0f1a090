from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trustmarks.resign import credentials_resign


class Command(BaseCommand):
    help = (
        "Re-sign the trust-mark credentials issued before Open Badges 3.0 conformance (two status "
        "entries, bare-thumbprint kid, jti) for the same validity period, id and status index. "
        "Tokens handed out before keep verifying; the badges carry the new credential."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--all", action="store_true", help="re-sign every credential, not only outdated ones"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = credentials_resign(everything=options["all"])
        self.stdout.write(f"Re-signed {count} credential{'' if count == 1 else 's'}.")
