"""``workflowos simulate FILE.json``: a seeded fault-injection run from the command line.

Exit status: 0 the verdict passes, 1 it fails, 2 invalid input (one ``path: message`` line per
problem on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lib import safejson
from lib.canonical import canonical_json
from lib.errors import DomainError
from simulator.engine import simulate
from simulator.params import MAX_REQUESTS, check_request_count, check_seed, parse_params
from studio.format import parse_json_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.json", help="a workflowos.workflow/v1 document")
    parser.add_argument(
        "--runs",
        type=int,
        default=10_000,
        metavar="N",
        help=f"number of requests (1 to {MAX_REQUESTS:,}; default 10,000)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument(
        "--format", choices=("json", "text"), default="text", help="report format on stdout (default text)"
    )
    parser.add_argument(
        "--journal", metavar="FILE", help="write the per-request journal (JSON Lines) to FILE"
    )
    parser.add_argument(
        "--params",
        metavar="PARAMS.json",
        help="simulation parameters: tolerances, scenario_weights, node_overrides, vendor_overrides",
    )
    parser.add_argument(
        "--max-escape-rate", type=float, metavar="X", help="tolerated escape rate (default 0.01)"
    )
    parser.add_argument(
        "--min-availability", type=float, metavar="Y", help="required availability (default 0.995)"
    )
    parser.add_argument(
        "--max-p99-latency-ms",
        type=float,
        metavar="MS",
        help="tolerated p99 latency in ms (not checked by default)",
    )


def _error(lines: list[str]) -> int:
    for line in lines:
        print(line, file=sys.stderr)
    return 2


def _read_json_file(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DomainError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return safejson.loads(text)
    except ValueError as exc:
        raise DomainError(f"{path}: not valid JSON: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Run the simulation described by the parsed arguments; return the exit status."""
    try:
        try:
            text = Path(args.file).read_bytes()
        except OSError as exc:
            return _error([f"{args.file}: cannot read: {exc.strerror or exc}"])
        try:
            doc = parse_json_text(text)
        except DomainError as exc:
            return _error([f"{args.file}: {line}" for line in exc.lines()])

        raw: dict[str, Any] = _read_json_file(args.params) if args.params else {}
        if not isinstance(raw, dict):
            return _error([f"{args.params}: expected a JSON object"])
        tolerances = dict(raw.get("tolerances") or {})
        for flag, key in (
            ("max_escape_rate", "max_escape_rate"),
            ("min_availability", "min_availability"),
            ("max_p99_latency_ms", "max_p99_latency_ms"),
        ):
            value = getattr(args, flag)
            if value is not None:
                tolerances[key] = value
        if tolerances:
            raw = {**raw, "tolerances": tolerances}
        params = parse_params(raw)

        for flag, check, value in (
            ("--runs", check_request_count, args.runs),
            ("--seed", check_seed, args.seed),
        ):
            try:
                check(value)
            except ValueError as exc:
                return _error([f"{flag}: {exc}"])
        report = simulate(doc, n=args.runs, seed=args.seed, params=params)
    except DomainError as exc:
        return _error(exc.lines() if exc.errors else [exc.message])

    if args.journal:
        try:
            with open(args.journal, "w", encoding="utf-8", newline="\n") as fp:
                report.write_journal(fp)
        except OSError as exc:
            return _error([f"{args.journal}: cannot write: {exc.strerror or exc}"])
    if args.format == "json":
        sys.stdout.write(canonical_json(report.to_data()) + "\n")
    else:
        sys.stdout.write(report.to_text())
    return 0 if report.passed else 1
