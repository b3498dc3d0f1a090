"""Observed against designed: trace span groups mapped onto a workflow's steps.

A span group belongs to a step by its ``workflowos.step`` attribute when present; otherwise a
model call matches the steps whose ``model`` is the requested model (or the response model
starts with it), and a tool call the ``tool_call`` steps whose ``tool`` is its
``gen_ai.tool.name``. What matches no step is drift, reported as findings shaped like the
analysis's (rule id, criterion, severity, steps, remediation). Deterministic: same input, same
output. Pure Python (no Django).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from studio.format import WorkflowDocument

from .parsers.otlp import SpanGroup, TraceSummary, latency

MODEL_STEP_TYPES = ("llm_call", "agent")
MODEL_OPERATIONS = ("chat", "text_completion", "generate_content", "embeddings", "invoke_agent")
ERROR_RATE_LIMIT = 0.05
_VENDOR_ALIASES = {
    "azureaiopenai": "azureopenai",
    "awsbedrock": "bedrock",
    "gcpvertexai": "vertex",
    "gcpgemini": "gemini",
    "gcpgenai": "google",
    "mistralai": "mistral",
    "xai": "xai",
}


# Why each rule matters (the analysis findings' ``message``).
RULE_MESSAGES = {
    "TRACE-STEP-NOT-OBSERVED": "A step of the map that never shows in the traces is either not running as "
    "designed or not traced; either way the map and the system may differ.",
    "TRACE-ERROR-RATE": "Calls that fail more often than the map assumes make fallbacks and timeouts carry the "
    "load; the simulation should use the observed rate.",
    "TRACE-LATENCY-TIMEOUT": "When real latency exceeds the designed timeout, requests time out in normal "
    "operation and fallbacks fire far more often than planned.",
    "TRACE-STEP-UNKNOWN": "Spans tagged with a step the map does not have mean the system has a step nobody "
    "assessed.",
    "TRACE-DRIFT-TOOL": "A tool the agent calls in production that the map does not show has no assessed "
    "authorisation, scope or reversibility.",
    "TRACE-DRIFT-VENDOR": "Data sent to a model vendor the map does not declare has no data-processing "
    "agreement, fallback or data-protection control on record.",
    "TRACE-DRIFT-MODEL": "A model the map does not pin was evaluated by nobody; its behaviour and version can "
    "change without notice.",
}


@dataclass
class DriftFinding:
    rule_id: str
    title: str
    criterion: str
    domain: str
    severity: str
    status: str  # "drift" (fails) or "observed" (information)
    node_ids: list[str]
    expected: str
    actual: str
    remediation: str

    @property
    def failing(self) -> bool:
        return self.status == "drift"


def finding_data(f: DriftFinding) -> dict[str, Any]:
    """A finding in the analysis findings' shape (plus ``failing``)."""
    data = asdict(f)
    data.update(
        paths=[],
        message=RULE_MESSAGES.get(f.rule_id, ""),
        guideline=f"/psf/{f.domain}/#{f.criterion}",
        failing=f.failing,
    )
    return data


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _vendor_known(provider: str, vendors: list[str]) -> bool:
    p = _norm(provider)
    p = _VENDOR_ALIASES.get(p, p)
    return bool(p) and any(p in _norm(v) or (_norm(v) and _norm(v) in p) for v in vendors)


def _model_matches(group: SpanGroup, model: str, version: str) -> bool:
    m = model.lower().strip()
    if not m:
        return False
    if group.request_model.lower() == m:
        return True
    responses = [r.lower() for r in group.response_models]
    return any(r == m or r.startswith(m + "-") for r in responses) or (
        bool(version) and any(r == version.lower() for r in responses)
    )


def observe(doc: WorkflowDocument, trace: TraceSummary) -> dict[str, Any]:
    """Which steps ran and how often, spans matching no step, per-step error rate and latency, and
    the drift findings."""
    nodes = {n.id: n for n in doc.nodes}
    model_steps = [n for n in doc.nodes if n.type in MODEL_STEP_TYPES]
    tool_steps = [n for n in doc.nodes if n.type == "tool_call"]
    vendors = [str(n.config.get("vendor") or "") for n in doc.nodes if n.config.get("vendor")]
    per_step: dict[str, list[SpanGroup]] = {}
    matched_by: dict[str, set[str]] = {}
    unmatched: list[tuple[SpanGroup, str]] = []
    for _, group in sorted(trace.groups.items()):
        targets: list[str] = []
        how = ""
        if group.step:
            if group.step in nodes:
                targets, how = [group.step], "attribute"
            else:
                unmatched.append((group, "unknown_step"))
                continue
        elif group.operation == "execute_tool":
            targets = [n.id for n in tool_steps if str(n.config.get("tool") or "") == group.tool]
            how = "tool"
        elif group.operation in MODEL_OPERATIONS or group.request_model:
            targets = [
                n.id
                for n in model_steps
                if _model_matches(
                    group, str(n.config.get("model") or ""), str(n.config.get("model_version") or "")
                )
            ]
            how = "model"
        if not targets:
            unmatched.append((group, how or "unmatched"))
            continue
        for node_id in targets:
            per_step.setdefault(node_id, []).append(group)
            matched_by.setdefault(node_id, set()).add(how)

    findings: list[DriftFinding] = []
    steps_report = []
    for node in doc.nodes:
        if node.type not in (*MODEL_STEP_TYPES, "tool_call") and node.id not in per_step:
            continue
        groups = per_step.get(node.id, [])
        spans = sum(g.count for g in groups)
        errors = sum(g.errors for g in groups)
        durations = [d for g in groups for d in g.durations_ms]
        lat = latency(durations)
        row = {
            "step": node.id,
            "label": node.label,
            "type": node.type,
            "designed_model": node.config.get("model"),
            "designed_vendor": node.config.get("vendor"),
            "ran": spans > 0,
            "spans": spans,
            "errors": errors,
            "error_rate": round(errors / spans, 4) if spans else None,
            "latency_ms": lat,
            "matched_by": sorted(matched_by.get(node.id, set())),
            "observed_models": sorted(
                {m for g in groups for m in g.response_models}
                | {g.request_model for g in groups if g.request_model}
            ),
        }
        steps_report.append(row)
        if not spans:
            findings.append(
                DriftFinding(
                    "TRACE-STEP-NOT-OBSERVED",
                    "A designed step does not appear in the traces",
                    "PSF-4.5",
                    "PSF-4",
                    "low",
                    "observed",
                    [node.id],
                    "spans for every model and tool step of the map",
                    f"no span maps to step {node.id!r} ({node.label})",
                    "Check the trace covers this path, or tag its spans with workflowos.step.",
                )
            )
            continue
        if errors / spans > ERROR_RATE_LIMIT:
            findings.append(
                DriftFinding(
                    "TRACE-ERROR-RATE",
                    "Observed error rate above 5 %",
                    "PSF-8.3",
                    "PSF-8",
                    "medium",
                    "drift",
                    [node.id],
                    f"at most {ERROR_RATE_LIMIT:.0%} of calls fail",
                    f"{errors} of {spans} spans ended in error ({errors / spans:.1%})",
                    "Add or tune the timeout, circuit breaker and fallback for this step, and use the "
                    "observed rate in the simulation.",
                )
            )
        timeout = node.config.get("timeout_ms")
        if lat and isinstance(timeout, int | float) and timeout > 0 and lat["p95"] > timeout:
            findings.append(
                DriftFinding(
                    "TRACE-LATENCY-TIMEOUT",
                    "Observed p95 latency above the step's timeout",
                    "PSF-8.3",
                    "PSF-8",
                    "medium",
                    "drift",
                    [node.id],
                    f"p95 latency within the designed timeout ({timeout:g} ms)",
                    f"p95 {lat['p95']:g} ms",
                    "Raise the timeout to what the vendor delivers or add a faster fallback.",
                )
            )

    unmatched_report = []
    for group, why in unmatched:
        data = group.to_data()
        data["reason"] = why
        unmatched_report.append(data)
        if why == "unknown_step":
            findings.append(
                DriftFinding(
                    "TRACE-STEP-UNKNOWN",
                    "Spans name a step the map does not have",
                    "PSF-4.5",
                    "PSF-4",
                    "medium",
                    "drift",
                    [],
                    "workflowos.step names a step of this workflow version",
                    f"{group.count} spans tagged workflowos.step={group.step!r}",
                    "Add the step to the map or fix the span attribute.",
                )
            )
        elif group.operation == "execute_tool":
            findings.append(
                DriftFinding(
                    "TRACE-DRIFT-TOOL",
                    "A tool call the map does not have",
                    "PSF-7.1",
                    "PSF-7",
                    "high",
                    "drift",
                    [],
                    "every tool call is a mapped tool_call step behind an authorisation check",
                    f"{group.count} execute_tool spans for {group.tool or '(unnamed tool)'!r}",
                    "Map the tool call as a step with its authorisation check, or remove the tool.",
                )
            )
        elif group.provider and not _vendor_known(group.provider, vendors):
            findings.append(
                DriftFinding(
                    "TRACE-DRIFT-VENDOR",
                    "An LLM call to a vendor the map does not have",
                    "PSF-8.4",
                    "PSF-8",
                    "high",
                    "drift",
                    [],
                    "model calls only go to the vendors the map declares ("
                    + (", ".join(sorted(set(vendors))) or "none")
                    + ")",
                    f"{group.count} {group.operation} spans to {group.provider} {group.request_model or ''}".rstrip(),
                    "Add the vendor's step (with its DPA, fallback and data-protection controls) to the map, "
                    "or stop the undeclared call.",
                )
            )
        else:
            findings.append(
                DriftFinding(
                    "TRACE-DRIFT-MODEL",
                    "An LLM call to a model the map does not have",
                    "PSF-5.1",
                    "PSF-5",
                    "high",
                    "drift",
                    [],
                    "model calls use the models the map pins",
                    f"{group.count} {group.operation} spans to {group.request_model or '(no model)'}"
                    + (f" ({group.provider})" if group.provider else ""),
                    "Map the model on its step (and pin its version), or stop the undeclared call.",
                )
            )
    findings.sort(key=lambda f: (not f.failing, f.rule_id, f.node_ids, f.actual))
    return {
        "steps": steps_report,
        "unmatched": unmatched_report,
        "findings": [finding_data(f) for f in findings],
    }
