"""``workflowos import-results FILE --workflow WORKFLOW.json``: a tool's results against a map.

Prints what the file holds (promptfoo results.json or OTLP/JSON traces), the PSF mapping and the
drift findings. Exit status: 0 no failing finding, 1 failing findings (failed red-team tests,
drift), 2 invalid input (one ``path: message`` line on stderr, no traceback). Pure Python.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from lib.errors import DomainError
from studio.format import parse_json_text

from .parsers import PARSERS
from .report import import_report

PROG = "workflowos import-results"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="promptfoo results.json or OTLP/JSON traces")
    parser.add_argument(
        "--workflow", required=True, metavar="WORKFLOW.json", help="a workflowos.workflow/v1 document"
    )
    parser.add_argument(
        "--as", dest="claimed", choices=sorted(PARSERS), help="refuse the file unless it is this format"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )


def _fail(where: str, exc: DomainError) -> int:
    print(f"{PROG}: {where}: {exc.message}", file=sys.stderr)
    for item in exc.errors:
        if str(item) != exc.message and item.message != exc.message:
            print(str(item), file=sys.stderr)
    return 2


def render_text(report: dict[str, Any], out: TextIO) -> None:
    w = out.write
    s = report["summary"]
    w(f"{s['tool']} {s['tool_version']} ({s['format']})\n")
    w("Counts: " + ", ".join(f"{k} {v}" for k, v in s["counts"].items()) + "\n")
    tr = s["time_range"]
    if tr.get("start"):
        w(f"Time range: {tr['start']} to {tr['end']}\n")
    mapping = report.get("mapping")
    if mapping:
        w("\nPSF domains (observed pass rate, 95 % Wilson interval):\n")
        for code, r in mapping["domains"].items():
            lo, hi = r["wilson95"]
            w(f"  {code}: {r['pass']}/{r['tests']} passed  [{lo:.2f}, {hi:.2f}]\n")
        w("\nPlugins:\n")
        for row in mapping["plugins"]:
            w(
                f"  {row['plugin']}: {row['pass']}/{row['tests']}  {', '.join(row['owasp'])}  {', '.join(row['psf'])}\n"
            )
        if mapping["unmapped"]:
            w("  not mapped: " + ", ".join(mapping["unmapped"]) + "\n")
    observed = report.get("observed")
    if observed:
        w("\nSteps (observed against designed):\n")
        for st in observed["steps"]:
            lat = st["latency_ms"]
            shown = f"p50 {lat['p50']:g} ms, p95 {lat['p95']:g} ms" if lat else "no latency"
            rate = "-" if st["error_rate"] is None else f"{st['error_rate']:.1%}"
            w(f"  {st['step']} ({st['type']}): {st['spans']} spans, errors {rate}, {shown}\n")
        for u in observed["unmatched"]:
            w(
                f"  matches no step: {u['operation']} {u['provider'] or ''} {u['request_model'] or u['tool'] or ''} ({u['spans']} spans)\n"
            )
    if report["findings"]:
        w(f"\nFindings ({report['failing']} failing):\n")
        for f in report["findings"]:
            steps = f" steps {', '.join(f['node_ids'])}" if f["node_ids"] else ""
            w(f"  [{f['severity']}] {f['rule_id']} {f['criterion']}{steps}: {f['title']}\n")
            w(f"      found: {f['actual']}\n      fix:   {f['remediation']}\n")
    for n in s["not_understood"]:
        w(f"Not understood: {n['what']}: {n['reason']} (×{n['count']})\n")


def run(args: argparse.Namespace) -> int:
    try:
        text = Path(args.workflow).read_text(encoding="utf-8")
        doc = parse_json_text(text)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{PROG}: {args.workflow}: cannot read: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        return _fail(args.workflow, exc)
    try:
        with open(args.file, "rb") as fh:
            report = import_report(fh, doc, claimed=args.claimed)
    except OSError as exc:
        print(f"{PROG}: {args.file}: cannot read: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        return _fail(args.file, exc)
    if args.format == "json":
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    else:
        render_text(report, sys.stdout)
    return 1 if report["failing"] else 0
