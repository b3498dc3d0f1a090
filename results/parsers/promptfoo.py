"""promptfoo ``results.json`` (``promptfoo eval -o results.json``, output version 3).

Per test: pass/fail/error, the red-team plugin (``metadata.pluginId``, also under
``testCase.metadata``), strategy, provider, grader reason. Streamed after the size and depth
checks: ijson builds one test result at a time, and the few top-level fields (``metadata``,
``evalId``, ``results.timestamp``) are read in their own streamed passes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import IO, Any

import ijson

from .base import Summary, refuse

FORMAT = "promptfoo"
MAX_BYTES = 32 * 1024 * 1024
MAX_TESTS = 200_000
MAX_DISTINCT = 500  # plugin, strategy and provider names kept in a summary
_MAX_REASON = 300
HEAD_LIMIT = 4096
# A test result opens at nesting level 4: {results:{results:[{…
ITEM_LEVEL = 4
ITEM_NAME = "test result"
MAX_ITEM_BYTES = 8 * 1024 * 1024


def detect(head: bytes) -> bool:
    """A JSON object whose first 4 KB name ``evalId`` or ``promptfooVersion`` (structure is checked while parsing)."""
    text = head.lstrip()[:HEAD_LIMIT]
    return text.startswith(b"{") and (b'"evalId"' in text or b'"promptfooVersion"' in text)


def _first(fh: IO[bytes], prefix: str) -> Any:
    """The first value at ``prefix`` (None when absent), streamed: nothing else is built."""
    fh.seek(0)
    try:
        for value in ijson.items(fh, prefix, use_float=True):
            return value
    except ijson.JSONError as exc:
        raise refuse(f"The file is not valid JSON ({exc}).") from None
    except UnicodeDecodeError:
        raise refuse("The file is not UTF-8 JSON.") from None
    return None


def _rows(fh: IO[bytes]) -> Iterator[Any]:
    """The test results one at a time (``results.results[]``), streamed."""
    fh.seek(0)
    try:
        yield from ijson.items(fh, "results.results.item", use_float=True)
    except ijson.JSONError as exc:
        raise refuse(f"The file is not valid JSON ({exc}).") from None
    except UnicodeDecodeError:
        raise refuse("The file is not UTF-8 JSON.") from None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse(fh: IO[bytes]) -> Summary:
    meta = _obj(_first(fh, "metadata"))
    summary = Summary(
        format=FORMAT,
        tool="promptfoo",
        tool_version=_str(meta.get("promptfooVersion")) or "unknown",
        counts={},
    )
    if not meta.get("promptfooVersion"):
        summary.skip("metadata.promptfooVersion", "missing: the tool version is unknown")
    plugins: dict[str, Counter[str]] = defaultdict(Counter)
    strategies: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    failures: list[dict[str, str]] = []
    totals: Counter[str] = Counter()
    for i, row in enumerate(_rows(fh)):
        if i >= MAX_TESTS:
            raise refuse(f"The file has more than {MAX_TESTS} test results; that is the limit.")
        if not isinstance(row, dict):
            summary.skip(f"results.results[{i}]", "not an object")
            continue
        totals["rows"] += 1
        row_meta = _obj(row.get("metadata"))
        case = _obj(row.get("testCase"))
        case_meta = _obj(case.get("metadata"))
        plugin = _str(row_meta.get("pluginId")) or _str(case_meta.get("pluginId"))
        strategy = _str(row_meta.get("strategyId")) or _str(case_meta.get("strategyId")) or "basic"
        provider = row.get("provider")
        provider_id = _str(provider.get("id")) if isinstance(provider, dict) else _str(provider)
        success = row.get("success")
        if not isinstance(success, bool):
            summary.skip("results.results[].success", "missing or not true/false: test not counted")
            continue
        # promptfoo's failureReason: 1 an assertion failed, 2 the provider or the eval errored
        # (``error`` also carries the assertion message on a plain failure, so it cannot decide).
        outcome = "pass" if success else ("error" if row.get("failureReason") == 2 else "fail")
        totals["tests"] += 1
        totals[outcome] += 1
        key = plugin or "(no plugin)"
        if key not in plugins and len(plugins) >= MAX_DISTINCT:
            summary.skip(
                "metadata.pluginId", f"more than {MAX_DISTINCT} distinct plugin ids: counted as (other)"
            )
            key = "(other)"
        if not plugin:
            summary.skip("metadata.pluginId", "a test without a red-team plugin id: not mapped")
        plugins[key][outcome] += 1
        plugins[key]["tests"] += 1
        if strategy in strategies or len(strategies) < MAX_DISTINCT:
            strategies[strategy] += 1
        provider_key = provider_id or "(unknown)"
        if provider_key in providers or len(providers) < MAX_DISTINCT:
            providers[provider_key] += 1
        if outcome != "pass" and len(failures) < 100:
            grading = _obj(row.get("gradingResult"))
            failures.append(
                {
                    "plugin": key,
                    "strategy": strategy,
                    "description": _str(case.get("description")),
                    "reason": _str(grading.get("reason") or row.get("error"), _MAX_REASON),
                }
            )
    if not totals["rows"]:
        block = _first(fh, "results")
        if not isinstance(block, dict):
            raise refuse("The file is not a promptfoo results.json: it has no `results` object.")
        if not isinstance(block.get("results"), list):
            raise refuse("The file is not a promptfoo results.json: `results.results` is not a list.")
    summary.counts = {
        "tests": totals["tests"],
        "pass": totals["pass"],
        "fail": totals["fail"],
        "error": totals["error"],
    }
    summary.details = {
        "eval_id": _str(_first(fh, "evalId")),
        "plugins": {
            name: {k: c[k] for k in ("tests", "pass", "fail", "error")} for name, c in sorted(plugins.items())
        },
        "strategies": dict(sorted(strategies.items())),
        "providers": dict(sorted(providers.items())),
        "failures": failures,
    }
    stamp = _str(_first(fh, "results.timestamp")) or _str(meta.get("evaluationCreatedAt"))
    summary.time_range = {"start": stamp or None, "end": _str(meta.get("exportedAt")) or stamp or None}
    return summary
