from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import CHAINS, audit_log_verify


class Command(BaseCommand):
    help = (
        "Recompute the hash chains of the audit log and the trust-mark log, and the trust-mark "
        "transparency log (its signed checkpoint, tree, marks, events and anchors); exit 1 naming "
        "what is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", choices=CHAINS, help="Check one chain only (default: all).")
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="A transparency-log checkpoint saved earlier: the log must still extend it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from trustmarks import tlog

        failed = False
        for chain in [options["chain"]] if options["chain"] else list(CHAINS):
            result = audit_log_verify(chain=chain)
            if result.ok:
                self.stdout.write(f"{chain}: OK, {result.count} events, head {result.head}")
            else:
                failed = True
                self.stderr.write(f"{chain}: BROKEN after {result.count} good events: {result.problem}")
        if options["chain"] in (None, "trustmarks"):
            saved = None
            if options["checkpoint"]:
                try:
                    saved = Path(options["checkpoint"]).read_text("utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise CommandError(f"cannot read {options['checkpoint']}: {exc}") from exc
            report = tlog.log_verify(saved=saved)
            if report.ok:
                self.stdout.write(f"transparency log: OK, {report.size} entries, root {report.root}")
            else:
                failed = True
                for problem in report.problems:
                    self.stderr.write(f"transparency log: BROKEN: {problem}")
        if failed:
            raise SystemExit(1)
