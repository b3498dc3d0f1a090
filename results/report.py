"""One import's report: what the parser understood, the PSF mapping (red-team results) and the
observed-against-designed view (traces) with findings. Deterministic and JSON-ready, so the same
file and workflow always give byte-identical canonical JSON. Pure Python (no Django).
"""

from __future__ import annotations

from typing import IO, Any

from studio.format import WorkflowDocument

from .drift import observe
from .mapping import map_promptfoo
from .parsers import Summary, parse_file
from .parsers.otlp import TraceSummary

REPORT_SCHEMA = "workflowos.results-import/v1"


def _redteam_findings(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    findings = []
    for row in mapping["plugins"]:
        failed = row["tests"] - row["pass"]
        if failed <= 0:
            continue
        for criterion in row["psf"]:
            findings.append(
                {
                    "rule_id": "REDTEAM-FAILED",
                    "title": f"Red-team tests of {row['plugin']} failed",
                    "criterion": criterion,
                    "domain": criterion.split(".")[0],
                    "severity": "high",
                    "status": "drift",
                    "node_ids": [],
                    "paths": [],
                    "expected": "every red-team test of the plugin passes",
                    "actual": f"{failed} of {row['tests']} tests failed ({', '.join(row['owasp'])})",
                    "message": "Red-team tests exercise this criterion's controls on the real system; a failed "
                    "test is an observed gap, whatever the map shows.",
                    "remediation": "Strengthen the control this plugin exercises and run the red team again.",
                    "guideline": f"/psf/{criterion.split('.')[0]}/#{criterion}",
                    "failing": True,
                }
            )
    return sorted(findings, key=lambda f: (f["criterion"], f["title"]))


def build_report(summary: Summary, doc: WorkflowDocument | None) -> dict[str, Any]:
    """The report for a parsed file, against a workflow document when given."""
    report: dict[str, Any] = {"schema": REPORT_SCHEMA, "summary": summary.to_data(), "findings": []}
    if summary.format == "promptfoo":
        mapping = map_promptfoo(summary.details.get("plugins", {}))
        report["mapping"] = mapping
        report["findings"] = _redteam_findings(mapping)
    elif isinstance(summary, TraceSummary) and doc is not None:
        observed = observe(doc, summary)
        report["observed"] = {"steps": observed["steps"], "unmatched": observed["unmatched"]}
        report["findings"] = observed["findings"]
    failing = [f for f in report["findings"] if f["failing"]]
    report["failing"] = len(failing)
    return report


def import_report(
    fh: IO[bytes], doc: WorkflowDocument | None, *, claimed: str | None = None
) -> dict[str, Any]:
    """Parse ``fh`` (see :func:`results.parsers.parse_file`) and build its report."""
    return build_report(parse_file(fh, claimed=claimed), doc)
