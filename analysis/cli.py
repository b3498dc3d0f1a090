"""``workflowos analyze FILE.json``: the PSF analysis for practitioners' CI.

Exit status: 0 the workflow passes the rubric's pass rule (and ``--fail-under``), 1 it does
not, 2 invalid input (unreadable or invalid workflow, rubric or rules file; one
``path: message`` line per problem on stderr, no traceback).

Pure Python (no Django).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import TextIO

from analysis.engine import AnalysisResult, analyse
from analysis.ruleset import RuleSet, default_rules, load_rules_file
from analysis.sarif import to_sarif
from lib.errors import DomainError, ErrorItem
from psf.rubric import Rubric, current_rubric, load_rubric_file
from studio.format import WorkflowDocument, parse_json_text

PROG = "workflowos analyze"


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the sub-command's arguments."""
    parser.add_argument("file", metavar="FILE.json", help="a workflowos.workflow/v1 document")
    parser.add_argument("--rubric", metavar="FILE", help="rubric file (default: the bundled PSF v1.1)")
    parser.add_argument("--rules", metavar="FILE", help="rules file (default: the bundled PSF v1.1 rules)")
    parser.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-under",
        type=float,
        metavar="SCORE",
        help="also fail when the overall score is below SCORE (0-5)",
    )
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output"
    )


def _fail(header: str, exc: DomainError) -> int:
    print(f"{PROG}: {header}: {exc.message}", file=sys.stderr)
    for item in exc.errors:
        if str(item) != exc.message:
            print(str(item), file=sys.stderr)
    return 2


def _load(args: argparse.Namespace) -> tuple[WorkflowDocument, str, Rubric, RuleSet] | int:
    path = Path(args.file)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _fail(
            args.file,
            DomainError("cannot read the file", [ErrorItem("", f"cannot read file: {exc.strerror or exc}")]),
        )
    try:
        text = raw.decode("utf-8")
        doc = parse_json_text(text)
    except UnicodeDecodeError as exc:
        return _fail(
            args.file, DomainError("not UTF-8 text", [ErrorItem("", f"not UTF-8 text: {exc.reason}")])
        )
    except DomainError as exc:
        return _fail(args.file, exc)
    try:
        rubric = load_rubric_file(args.rubric) if args.rubric else current_rubric()
    except DomainError as exc:
        return _fail(args.rubric or "rubric", exc)
    try:
        rules = load_rules_file(args.rules) if args.rules else default_rules()
    except DomainError as exc:
        return _fail(args.rules or "rules", exc)
    return doc, text, rubric, rules


def _uri(file: str) -> str:
    # SARIF wants a URI: repository-relative paths stay relative, absolute ones become file: URIs.
    path = Path(file)
    return path.resolve().as_uri() if path.is_absolute() else path.as_posix()


def _score(value: float | None) -> str:
    return "  -  " if value is None else f"{value:4.1f} "


def render_text(result: AnalysisResult, out: TextIO) -> None:
    """A readable summary: the domain table, why it fails, failing findings with remediation."""
    w = out.write
    facts = result.facts
    w(f"WorkflowOS PSF analysis - {result.rubric_key}\n")
    w(
        f"Workflow: {result.workflow_name}  (sha256 {result.workflow_hash[:12]}, {result.node_count} steps, {result.edge_count} edges)\n"
    )
    w(
        f"Facts: personal data {'yes' if facts['personal_data'] else 'no'}, stakes {facts['stakes']}, "
        f"audience {facts['audience']}, {'regulated' if facts['regulated'] else 'not regulated'}\n\n"
    )
    width = max(len(f"{d.code} {d.name}") for d in result.domains)
    w(f"{'Domain':<{width}}  Score  Needs  Result\n")
    for d in result.domains:
        verdict = "pass" if d.passed else ("FAIL (no score)" if d.score is None else "FAIL")
        w(f"{d.code + ' ' + d.name:<{width}}  {_score(d.score)}  {d.threshold:4.1f}  {verdict}\n")
    w(f"{'Overall':<{width}}  {_score(result.overall_score)}        {'PASS' if result.passed else 'FAIL'}\n")
    if result.reasons:
        w("\nWhy it fails:\n")
        for reason in result.reasons:
            w(f"  - {reason}\n")
    failing = [f for f in result.findings if f.failing]
    summary = result.summary()
    if failing:
        sev = summary["failing_by_severity"]
        w(
            f"\nFailing findings ({len(failing)}: "
            + ", ".join(f"{n} {s}" for s, n in sev.items() if n)
            + ")\n"
        )
        for d in result.domains:
            own = [f for f in failing if f.domain == d.code]
            if not own:
                continue
            w(f"\n{d.code} {d.name}\n")
            for f in own:
                w(f"  [{f.severity}] {f.rule_id} {f.status}: {f.title}\n")
                w(f"      found: {f.actual}\n")
                w(f"      fix:   {f.remediation}\n")
                w(f"      see:   {f.guideline}\n")
    evidence = [c.code for c in result.criteria if c.status == "needs_evidence"]
    if evidence:
        w(f"\nNeeds evidence (not visible on a map): {', '.join(evidence)}\n")
    counts = summary["by_status"]
    w("\nFindings: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()) + "\n")


def run(args: argparse.Namespace) -> int:
    """Run the analysis; print the report; return the exit status."""
    if args.fail_under is not None and not 0 <= args.fail_under <= 5:
        print(f"{PROG}: --fail-under must be between 0 and 5, got {args.fail_under:g}", file=sys.stderr)
        return 2
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    doc, text, rubric, rules = loaded
    result = analyse(doc, rubric, rules)

    if args.format == "json":
        report = json.dumps(result.to_data(), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "sarif":
        labels = {n.id: n.label for n in doc.nodes}
        report = (
            json.dumps(to_sarif(result, rules, _uri(args.file), text, labels), indent=2, ensure_ascii=False)
            + "\n"
        )
    else:
        buffer = io.StringIO()
        render_text(result, buffer)
        report = buffer.getvalue()
    if args.output:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as exc:
            print(f"{PROG}: {args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(report)

    failed = not result.passed
    if args.fail_under is not None:
        overall = result.overall_score
        if overall is None or overall < args.fail_under:
            failed = True
            if args.format == "text" and not args.output:
                shown = "no score" if overall is None else f"{overall:.1f}"
                sys.stdout.write(f"Overall score {shown} is below --fail-under {args.fail_under:g}\n")
    return 1 if failed else 0
