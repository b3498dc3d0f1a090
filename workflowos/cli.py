"""The ``workflowos`` command line: pure-Python tools practitioners and auditors run anywhere
(their CI, a laptop) without the web app or a database.

Each sub-command lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``.
Exit statuses: 0 success, 1 the check failed, 2 invalid input or usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analysis.cli", "Run the PSF analysis on a workflowos.workflow/v1 file."),
    "simulate": ("simulator.cli", "Run a seeded fault-injection simulation of a workflow file."),
    "verify-credential": ("trustmarks.verify_cli", "Verify a trust-mark credential (VC-JWT) offline."),
    "verify-bundle": ("evidence.verify_cli", "Verify a signed evidence bundle (ZIP)."),
    "verify-log": (
        "trustmarks.verify_log_cli",
        "Check the issuer's transparency log: signed checkpoint, growth since a saved one, a mark's entry.",
    ),
    "import-results": (
        "results.cli",
        "Map a tool's results (promptfoo results.json, OTLP/JSON traces) onto a workflow file.",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workflowos", description="WorkflowOS command-line tools (PSF v1.1)."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        try:
            importlib.import_module(module).configure(p)
        except ModuleNotFoundError:
            p.set_defaults(_missing=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if getattr(args, "_missing", False):
        print(
            f"workflowos: the {args.command} command is not available in this installation", file=sys.stderr
        )
        return 2
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
