"""``manage.py signing_keys generate|show``: make a key ring for WORKFLOWOS_SIGNING_KEYS, or show
the public side (kids and JWKS) of the ring this instance is configured with."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib.errors import DomainError
from lib.instance_keys import instance_ring
from lib.keys import ENV_VAR, generate_keyring_document


class Command(BaseCommand):
    help = (
        f"generate: print a new key ring (one line of JSON) to put in {ENV_VAR}. "
        "show: the public keys of the configured ring (never a private key)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("generate", help=f"print a fresh key ring for {ENV_VAR} (secret: keep it so)")
        show = sub.add_parser("show", help="print the kids, or with --jwks the public JWKS")
        show.add_argument("--jwks", action="store_true", help="print the JWKS document (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            # One line, so it fits an env file or a secret store as it is.
            document = json.loads(generate_keyring_document())
            self.stdout.write(json.dumps(document, separators=(",", ":")))
            return
        try:
            ring = instance_ring()
            keys = ring.all_keys()
            jwks = ring.jwks()
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if options["jwks"]:
            self.stdout.write(json.dumps(jwks, indent=2))
            return
        source = f"environment ({ENV_VAR})" if ring.read_only else f"directory {settings.SIGNING_KEYS_DIR}"
        self.stdout.write(f"source: {source}")
        for key in keys:
            created = key.created.isoformat() if key.created else "-"
            retired = f" retired {key.retired.isoformat()}" if key.retired else ""
            self.stdout.write(f"{key.status:8} {key.kid} created {created}{retired}")
