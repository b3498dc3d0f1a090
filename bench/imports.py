"""Benchmark of importing a 100,000-span OTLP/JSON trace file (parse, map onto a workflow, report).

    .venv/bin/python bench/imports.py [--spans 100000] [--runs 3]

The file is generated in the OTLP/JSON shape the Collector's file exporter writes (one
``{"resourceSpans": …}`` request per line, 1,000 spans per request; hex ids; GenAI attributes,
half the spans are model calls mapped to the workflow, some errors and a drifting vendor), about
70 MB. Each run imports it in a fresh child process and reports wall-clock time and the child's
peak RSS (``ru_maxrss``), so runs do not share memory. Targets: ≤ 5 s and ≤ 500 MB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PER_REQUEST = 1000
T0 = 1_780_000_000_000_000_000


def _attr(key: str, value: object) -> dict[str, object]:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def generate(path: Path, spans: int) -> None:
    resource_attrs = [_attr("service.name", "support-bot"), _attr("telemetry.sdk.version", "1.45.2")]
    with path.open("w", encoding="utf-8") as fh:
        n = 0
        while n < spans:
            batch = []
            for _ in range(min(PER_REQUEST, spans - n)):
                start = T0 + n * 10_000_000
                if n % 2:
                    batch.append(
                        {
                            "traceId": f"{n // 2:032x}",
                            "spanId": f"{n:016x}",
                            "name": "invoke_workflow",
                            "kind": 1,
                            "startTimeUnixNano": str(start),
                            "endTimeUnixNano": str(start + 900_000_000),
                            "status": {},
                        }
                    )
                else:
                    vendor = ("mistral_ai", "mistral-large-latest") if n % 50 == 0 else ("openai", "gpt-4o")
                    attrs = [
                        _attr("gen_ai.operation.name", "chat"),
                        _attr("gen_ai.provider.name", vendor[0]),
                        _attr("gen_ai.request.model", vendor[1]),
                        _attr("gen_ai.response.model", vendor[1] + "-2024-08-06"),
                        _attr("gen_ai.usage.input_tokens", 400 + n % 97),
                        _attr("gen_ai.usage.output_tokens", 80 + n % 31),
                    ]
                    error = n % 37 == 0
                    batch.append(
                        {
                            "traceId": f"{n // 2:032x}",
                            "spanId": f"{n:016x}",
                            "parentSpanId": f"{n + 1:016x}",
                            "name": f"chat {vendor[1]}",
                            "kind": 3,
                            "startTimeUnixNano": str(start),
                            "endTimeUnixNano": str(start + (200 + n % 400) * 1_000_000),
                            "attributes": attrs,
                            "status": {"code": 2, "message": "timeout"} if error else {},
                        }
                    )
                n += 1
            request = {
                "resourceSpans": [
                    {
                        "resource": {"attributes": resource_attrs},
                        "scopeSpans": [{"scope": {"name": "bench"}, "spans": batch}],
                    }
                ]
            }
            fh.write(json.dumps(request, separators=(",", ":")) + "\n")


def generate_promptfoo(path: Path, megabytes: int) -> int:
    """A promptfoo results.json of about ``megabytes`` MB: the fixture's test rows repeated."""
    fixture = json.loads((ROOT / "tests/results/fixtures/promptfoo/results.json").read_text())
    rows = fixture["results"]["results"]
    row_bytes = sum(len(json.dumps(r)) for r in rows) / len(rows)
    n = int(megabytes * 1024 * 1024 / row_bytes)
    fixture["results"]["results"] = [rows[i % len(rows)] for i in range(n)]
    path.write_text(json.dumps(fixture), encoding="utf-8")
    return n


def child(path: str) -> None:
    from studio.format import parse_document
    from tests.studio.helpers import small_doc

    doc = parse_document(small_doc())
    from results.report import import_report

    started = time.perf_counter()
    with open(path, "rb") as fh:
        report = import_report(fh, doc)
    elapsed = time.perf_counter() - started
    counts = report["summary"]["counts"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "peak_mb": peak_mb,
                "spans": counts.get("spans", counts.get("tests")),
                "findings": [f["rule_id"] for f in report["findings"]],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--promptfoo-mb", type=int, default=30, help="also import a promptfoo file this big (0: skip)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "traces.otlp.json"
        generate(path, args.spans)
        size_mb = path.stat().st_size / (1024 * 1024)
        print(f"OTLP/JSON file: {args.spans:,} spans, {size_mb:.1f} MB")
        seconds, peaks, result = _runs(path, args.runs, args.spans)
        print(f"findings: {', '.join(result['findings'])}")
        print(
            f"import time: median {statistics.median(seconds):.2f} s (runs: {', '.join(f'{s:.2f}' for s in seconds)}; target ≤ 5 s)"
        )
        print(
            f"peak RSS:    median {statistics.median(peaks):.0f} MB (max {max(peaks):.0f} MB; target ≤ 500 MB: the whole child process, interpreter, numpy and ijson included)"
        )

        if args.promptfoo_mb:
            pf = Path(tmp) / "results.json"
            tests = generate_promptfoo(pf, args.promptfoo_mb)
            print(f"\npromptfoo results.json: {tests:,} tests, {pf.stat().st_size / (1024 * 1024):.1f} MB")
            seconds, peaks, _ = _runs(pf, args.runs, tests)
            print(f"import time: median {statistics.median(seconds):.2f} s")
            print(f"peak RSS:    median {statistics.median(peaks):.0f} MB (max {max(peaks):.0f} MB)")


def _runs(path: Path, runs: int, expected: int) -> tuple[list[float], list[float], dict]:
    seconds, peaks = [], []
    result: dict = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "workflowos.settings"},
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["spans"] == expected, result
        seconds.append(result["seconds"])
        peaks.append(result["peak_mb"])
    return seconds, peaks, result


if __name__ == "__main__":
    main()
