"""SARIF 2.1.0 output of an analysis, so code-scanning tools show PSF findings next to the
workflow file.

One run; ``tool.driver.rules`` carries every evaluated rule's metadata (domain, criterion,
severity, remediation, guideline link); one result per missing or partial finding, located at
the steps that show it: a physical location in the workflow file (line and column of the step's
object when the file text is given), a logical location named by the step id, and the JSON
pointer (``/nodes/3``) in the location's properties. Paths become SARIF code flows.

Pure Python (no Django).
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from analysis.engine import ENGINE_VERSION, AnalysisResult, Finding
from analysis.ruleset import Rule, RuleSet
from lib.canonical import sha256_hex

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
DEFAULT_BASE_URL = "https://workflowos.example"
TOOL_NAME = "WorkflowOS PSF analysis"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning orders security alerts by this CVSS-like number.
SECURITY_SEVERITY = {"critical": "9.0", "high": "7.0", "medium": "5.0", "low": "3.0"}
MAX_LOCATIONS = 25
MAX_FLOWS = 10


def json_positions(text: str) -> dict[str, tuple[int, int]]:
    """Line and column (1-based, in code points) where each element of the top-level ``nodes``
    and ``edges`` arrays starts, keyed by JSON pointer (``/nodes/3``).

    A small scanner rather than a parser: the text has already been validated as JSON.
    """
    newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_col(offset: int) -> tuple[int, int]:
        line = bisect.bisect_left(newlines, offset)
        start = newlines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    out: dict[str, tuple[int, int]] = {}
    # Each frame: [kind, key or index, expecting_key]
    stack: list[list[Any]] = []
    i, n = 0, len(text)

    def value_starts(at: int) -> None:
        if (
            len(stack) == 2
            and stack[1][0] == "arr"
            and stack[0][0] == "obj"
            and stack[0][1] in ("nodes", "edges")
        ):
            out[f"/{stack[0][1]}/{stack[1][1]}"] = line_col(at)

    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if stack and stack[-1][0] == "obj" and stack[-1][2]:
                stack[-1][1] = text[i + 1 : j]
            else:
                value_starts(i)
            i = j + 1
            continue
        if c in "{[":
            value_starts(i)
            stack.append(["obj", None, True] if c == "{" else ["arr", 0, False])
        elif c in "}]":
            if stack:
                stack.pop()
        elif c == ",":
            if stack and stack[-1][0] == "arr":
                stack[-1][1] += 1
            elif stack:
                stack[-1][2] = True
        elif c == ":":
            if stack:
                stack[-1][2] = False
        elif not c.isspace():
            value_starts(i)
            while i + 1 < n and text[i + 1] not in ",]} \t\r\n":
                i += 1
        i += 1
    return out


def _rule_name(rule: Rule) -> str:
    words = re.findall(r"[A-Za-z0-9]+", rule.title)
    return "".join(w[:1].upper() + w[1:] for w in words)


def _descriptor(rule: Rule, base_url: str) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": _rule_name(rule),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.message},
        "help": {
            "text": f"{rule.remediation} See {base_url}{rule.guideline}",
            "markdown": f"{rule.remediation}\n\n[{rule.criterion} in the PSF]({base_url}{rule.guideline})",
        },
        "helpUri": base_url + rule.guideline,
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "domain": rule.domain,
            "criterion": rule.criterion,
            "severity": rule.severity,
            "tags": ["psf", rule.domain, rule.criterion],
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }


class _Locator:
    def __init__(self, uri: str, text: str | None, labels: dict[str, str]) -> None:
        self.uri = uri
        self.positions = json_positions(text) if text is not None else {}
        self.has_text = text is not None
        self.labels = labels

    def location(self, node_id: str | None, pointer: str, index: int | None = None) -> dict[str, Any]:
        physical: dict[str, Any] = {"artifactLocation": {"uri": self.uri, "index": 0}}
        pos = self.positions.get(pointer)
        if pos is not None:
            physical["region"] = {"startLine": pos[0], "startColumn": pos[1]}
        elif self.has_text:
            physical["region"] = {"startLine": 1}
        loc: dict[str, Any] = {"physicalLocation": physical, "properties": {"jsonPointer": pointer}}
        if index is not None:
            loc["id"] = index
        if node_id is not None:
            loc["logicalLocations"] = [
                {"name": node_id, "fullyQualifiedName": f"nodes/{node_id}", "kind": "object"}
            ]
            label = self.labels.get(node_id)
            loc["message"] = {"text": f"step {node_id}" + (f" ({label})" if label else "")}
        return loc


def _primary_nodes(f: Finding) -> list[str]:
    # For a path finding, the unguarded targets come first: that is where the fix is needed.
    ordered = [p[-1] for p in f.paths]
    ordered += [n for n in f.node_ids if n not in ordered]
    return ordered


def _result(f: Finding, index: int, loc: _Locator, node_index: dict[str, int]) -> dict[str, Any]:
    nodes = _primary_nodes(f)
    pointers = {
        n: f"/nodes/{node_index[n]}"
        for n in {*f.node_ids, *(n for p in f.paths for n in p)}
        if n in node_index
    }
    locations = [loc.location(n, pointers.get(n, "")) for n in nodes[:1]] or [loc.location(None, "")]
    related = [loc.location(n, pointers.get(n, ""), k) for k, n in enumerate(nodes[1:MAX_LOCATIONS], start=1)]
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "kind": "fail",
        "level": LEVEL[f.severity],
        "message": {"text": f"{f.title} ({f.status}): {f.actual}"},
        "locations": locations,
        "partialFingerprints": {
            "workflowosFinding/v1": sha256_hex(f.rule_id + "|" + ",".join(f.node_ids))[:32]
        },
        "properties": {
            "status": f.status,
            "domain": f.domain,
            "criterion": f.criterion,
            "severity": f.severity,
            "expected": f.expected,
            "actual": f.actual,
            "remediation": f.remediation,
            "nodeIds": f.node_ids,
        },
    }
    if related:
        result["relatedLocations"] = related
    if f.paths:
        result["codeFlows"] = [
            {
                "message": {"text": " → ".join(path)},
                "threadFlows": [
                    {"locations": [{"location": loc.location(n, pointers.get(n, ""))} for n in path]}
                ],
            }
            for path in f.paths[:MAX_FLOWS]
        ]
    return result


def to_sarif(
    result: AnalysisResult,
    rules: RuleSet,
    uri: str,
    text: str | None = None,
    labels: dict[str, str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> dict[str, Any]:
    """The analysis as a SARIF 2.1.0 log.

    ``uri`` names the workflow file as the scanning tool should show it (a path relative to the
    repository root, usually); ``text`` is that file's content, used to point at line and column;
    ``labels`` maps step ids to their labels for location messages.
    """
    by_id = {r.id: r for r in rules.rules}
    evaluated = [by_id[f.rule_id] for f in result.findings if f.rule_id in by_id]
    index = {r.id: i for i, r in enumerate(evaluated)}
    loc = _Locator(uri, text, labels or {})
    results = [
        _result(f, index[f.rule_id], loc, result.node_index)
        for f in result.findings
        if f.failing and f.rule_id in index
    ]
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": ENGINE_VERSION,
                "informationUri": f"{base_url}/psf/",
                "rules": [_descriptor(r, base_url) for r in evaluated],
                "properties": {"rubric": result.rubric_key, "rules": result.rules_key},
            }
        },
        "artifacts": [{"location": {"uri": uri}, "mimeType": "application/json"}],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "workflowName": result.workflow_name,
            "workflowHash": result.workflow_hash,
            "rubric": result.rubric_key,
            "passed": result.passed,
            "overallScore": result.overall_score,
            "domainScores": {d.code: d.score for d in result.domains},
            "reasons": result.reasons,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
