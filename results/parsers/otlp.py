"""OpenTelemetry traces as OTLP/JSON (``{"resourceSpans": …}``; one request per line, as the
Collector's file exporter writes, or a single document), read with the GenAI semantic conventions.

Streamed: ijson (C backend) yields one span at a time, which is folded into per-group counters
(step attribute, operation, provider, model) with its duration; nothing holds all spans at once.
Resource attributes (``service.name``) are read in a second streamed pass.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import ijson

from .base import Summary, refuse

FORMAT = "otlp"
MAX_BYTES = 256 * 1024 * 1024
SPANS = "resourceSpans.item.scopeSpans.item.spans.item"
RESOURCE_ATTRS = "resourceSpans.item.resource.attributes.item"
HEAD_LIMIT = 4096
# A span object opens at nesting level 7: {resourceSpans:[{scopeSpans:[{spans:[{…
ITEM_LEVEL = 7
ITEM_NAME = "span"
MAX_ITEM_BYTES = 8 * 1024 * 1024
_ERROR_CODES = {"STATUS_CODE_ERROR", 2, "2"}
_MAX_GROUPS = 10_000
# GenAI operations that call a model (execute_tool and invoke_agent need no provider).
_MODEL_OPERATIONS = {"chat", "text_completion", "generate_content", "embeddings"}


_SIGNATURE = re.compile(rb'\s*\{\s*"resourceSpans"\s*:\s*\[')


def detect(head: bytes) -> bool:
    """An object whose first key is ``resourceSpans`` (an ExportTraceServiceRequest)."""
    return _SIGNATURE.match(head[:HEAD_LIMIT]) is not None


@dataclass
class SpanGroup:
    """Spans sharing step attribute, operation, provider and request model."""

    step: str
    operation: str
    provider: str
    request_model: str
    tool: str
    response_models: Counter[str] = field(default_factory=Counter)
    count: int = 0
    errors: int = 0
    error_types: Counter[str] = field(default_factory=Counter)
    input_tokens: int = 0
    output_tokens: int = 0
    durations_ms: array = field(default_factory=lambda: array("d"))

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.step, self.operation, self.provider, self.request_model, self.tool)

    def to_data(self) -> dict[str, Any]:
        return {
            "step_attribute": self.step or None,
            "operation": self.operation,
            "provider": self.provider or None,
            "request_model": self.request_model or None,
            "tool": self.tool or None,
            "response_models": _top(self.response_models),
            "spans": self.count,
            "errors": self.errors,
            "error_types": _top(self.error_types),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": latency(list(self.durations_ms)),
        }


@dataclass
class TraceSummary(Summary):
    groups: dict[tuple[str, str, str, str, str], SpanGroup] = field(default_factory=dict)


def _top(counter: Counter[str], n: int = 20) -> dict[str, int]:
    """The ``n`` most frequent values, sorted by name (a hostile file may carry thousands)."""
    return dict(sorted(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (deterministic, no interpolation)."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def latency(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    values = sorted(values)
    return {
        "p50": round(percentile(values, 0.50), 3),
        "p95": round(percentile(values, 0.95), 3),
        "max": round(values[-1], 3),
    }


def _scalar(value: Any) -> Any:
    """An OTLP AnyValue as a Python scalar; arrays and key-value lists are not needed here."""
    if not isinstance(value, dict):
        return None
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in value:
            return value[kind]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    return None


def _iso(nanos: int) -> str:
    seconds = datetime.fromtimestamp(nanos // 1_000_000_000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{seconds}.{(nanos // 1_000_000) % 1000:03d}Z"


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""


def parse(fh: IO[bytes]) -> TraceSummary:
    summary = TraceSummary(format=FORMAT, tool="opentelemetry", tool_version="unknown", counts={})
    groups = summary.groups
    spans = genai = errors = other = 0
    start_min: int | None = None
    end_max: int | None = None
    other_names: Counter[str] = Counter()
    fh.seek(0)
    try:
        for span in ijson.items(fh, SPANS, multiple_values=True, use_float=True):
            spans += 1
            if not isinstance(span, dict):
                summary.skip("span", "not an object")
                continue
            attrs: dict[str, Any] = {}
            raw_attrs = span.get("attributes")
            if isinstance(raw_attrs, list):
                for kv in raw_attrs:
                    if isinstance(kv, dict) and isinstance(kv.get("key"), str):
                        attrs[kv["key"]] = _scalar(kv.get("value"))
            start, end = _int(span.get("startTimeUnixNano")), _int(span.get("endTimeUnixNano"))
            status = span.get("status")
            is_error = isinstance(status, dict) and status.get("code") in _ERROR_CODES
            errors += is_error
            if start is not None:
                start_min = start if start_min is None else min(start_min, start)
            if end is not None:
                end_max = end if end_max is None else max(end_max, end)
            step = _text(attrs.get("workflowos.step"))
            operation = _text(attrs.get("gen_ai.operation.name"))
            if not operation and not step:
                other += 1
                other_names[_text(span.get("name")) or "(unnamed)"] += 1
                continue
            genai += 1
            provider = _text(attrs.get("gen_ai.provider.name")) or _text(attrs.get("gen_ai.system"))
            model = _text(attrs.get("gen_ai.request.model"))
            tool = _text(attrs.get("gen_ai.tool.name"))
            key = (step, operation or "(none)", provider, model, tool)
            group = groups.get(key)
            if group is None:
                if len(groups) >= _MAX_GROUPS:
                    summary.skip("span", f"more than {_MAX_GROUPS} distinct step/operation/model groups")
                    continue
                group = groups[key] = SpanGroup(*key)
            group.count += 1
            if is_error:
                group.errors += 1
                group.error_types[_text(attrs.get("error.type")) or "error"] += 1
            response_model = _text(attrs.get("gen_ai.response.model"))
            if response_model:
                group.response_models[response_model] += 1
            # Older semantic conventions named them prompt_tokens / completion_tokens.
            group.input_tokens += (
                _int(attrs.get("gen_ai.usage.input_tokens"))
                or _int(attrs.get("gen_ai.usage.prompt_tokens"))
                or 0
            )
            group.output_tokens += (
                _int(attrs.get("gen_ai.usage.output_tokens"))
                or _int(attrs.get("gen_ai.usage.completion_tokens"))
                or 0
            )
            if start is not None and end is not None and end >= start:
                group.durations_ms.append((end - start) / 1_000_000)
            else:
                summary.skip("span.startTimeUnixNano/endTimeUnixNano", "missing or reversed: no latency")
            if not provider and operation in _MODEL_OPERATIONS:
                summary.skip("gen_ai.provider.name", "a GenAI span without provider or gen_ai.system")
    except ijson.JSONError as exc:
        raise refuse(f"The file is not valid OTLP/JSON ({exc}).") from None
    except UnicodeDecodeError:
        raise refuse("The file is not UTF-8 JSON.") from None
    if spans == 0:
        raise refuse("The file has no spans under resourceSpans[].scopeSpans[].spans[]: not OTLP traces.")
    services: Counter[str] = Counter()
    sdk = ""
    fh.seek(0)
    try:
        for kv in ijson.items(fh, RESOURCE_ATTRS, multiple_values=True):
            if isinstance(kv, dict):
                if kv.get("key") == "service.name":
                    services[_text(_scalar(kv.get("value")))] += 1
                elif kv.get("key") == "telemetry.sdk.version" and not sdk:
                    sdk = _text(_scalar(kv.get("value")))
    except ijson.JSONError as exc:  # pragma: no cover - the first pass read the same bytes
        raise refuse(f"The file is not valid OTLP/JSON ({exc}).") from None
    summary.tool_version = f"sdk {sdk}" if sdk else "unknown"
    by_operation: Counter[str] = Counter()
    by_model: Counter[str] = Counter()
    by_provider: Counter[str] = Counter()
    for g in groups.values():
        by_operation[g.operation] += g.count
        by_model[g.request_model or "(none)"] += g.count
        by_provider[g.provider or "(none)"] += g.count
    summary.counts = {"spans": spans, "genai_spans": genai, "other_spans": other, "errors": errors}
    summary.details = {
        "services": sorted(s for s in services if s),
        "by_operation": dict(sorted(by_operation.items())),
        "by_model": dict(sorted(by_model.items())),
        "by_provider": dict(sorted(by_provider.items())),
        "other_span_names": dict(other_names.most_common(20)),
        "groups": [g.to_data() for _, g in sorted(groups.items())],
    }
    summary.time_range = {
        "start": _iso(start_min) if start_min is not None else None,
        "end": _iso(end_max) if end_max is not None else None,
    }
    return summary
