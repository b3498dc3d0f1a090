from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.audit import CHAINS, audit_log_verify


class Command(BaseCommand):
    help = "Recompute the hash chains of the audit log and the trust-mark log; exit 1 naming the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", choices=CHAINS, help="Check one chain only (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for chain in [options["chain"]] if options["chain"] else list(CHAINS):
            result = audit_log_verify(chain=chain)
            if result.ok:
                self.stdout.write(f"{chain}: OK, {result.count} events, head {result.head}")
            else:
                failed = True
                self.stderr.write(f"{chain}: BROKEN after {result.count} good events: {result.problem}")
        if failed:
            raise SystemExit(1)
