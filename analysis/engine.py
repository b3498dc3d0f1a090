"""The PSF analysis engine: a deterministic, explainable rules engine over the workflow graph.

``analyse(doc, rubric, rules)`` evaluates every rule of the rule set against one
``workflowos.workflow/v1`` document and returns findings, a score per criterion, per domain and
overall, pass/fail by the rubric's pass rule, and a coverage matrix (domains × steps). The same
input always gives the same result (no clock, no randomness, stable ordering).

Scoring (documented here because the UI, the API and the CLI all show it):

* A finding is ``met``, ``partial``, ``missing``, ``needs_evidence`` or ``not_applicable``.
  A criterion the rubric marks as not map-observable only ever gets ``needs_evidence``.
* Criterion score (0–5) from its met / partial / missing findings. Each finding weighs by
  severity (critical 4, high 3, medium 2, low 1) and counts met 1, partial ½, missing 0;
  ``r`` = weighted share, score = round(4 × r) (halves round up), then capped: any missing
  critical → at most 1, any missing high → at most 2, anything short of met → at most 3.
  All met gives 4: a map alone never earns a 5, which needs measured evidence an assessor sees.
  A criterion whose findings are all not-applicable is left out; one with only
  needs-evidence findings (or no rule at all) is listed as ``needs_evidence`` and left out.
* Domain score = mean of its scored criteria, rounded to one decimal (None when none is
  scored: such a domain fails the pass rule with the reason "has no score"). An assessor's DSA
  score averages all five criteria with evidence; the map-based score averages only what the
  map can show, and lists the rest as needing evidence.
* Overall score = mean of the domain scores that exist, rounded to one decimal.
* Pass/fail = ``rubric.pass_rule.evaluate`` over the domain scores.

Cost: the graph indexes are built once and shared by every rule; each primitive is O(V + E).

Pure Python (no Django).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from analysis.graph import Graph
from analysis.primitives import PRIMITIVES, Outcome, describe
from analysis.ruleset import AUTONOMY_LEVELS, AppliesWhen, Rule, RuleSet, default_rules
from psf.rubric import Rubric
from studio.catalogue import Catalogue, load_catalogue
from studio.format import WorkflowDocument

RESULT_SCHEMA = "workflowos.analysis/v1"
ENGINE_VERSION = "1"
STATUSES = ("met", "partial", "missing", "needs_evidence", "not_applicable")
SEVERITY_WEIGHT = {"critical": 4, "high": 3, "medium": 2, "low": 1}
STATUS_VALUE = {"met": 1.0, "partial": 0.5, "missing": 0.0}
MAP_MAX_SCORE = 4


@dataclass
class Finding:
    rule_id: str
    title: str
    criterion: str
    domain: str
    severity: str
    status: str
    node_ids: list[str]
    paths: list[list[str]]
    expected: str
    actual: str
    message: str
    remediation: str
    guideline: str

    @property
    def failing(self) -> bool:
        return self.status in ("missing", "partial")


@dataclass
class CriterionResult:
    code: str
    domain: str
    title: str
    status: str  # scored / needs_evidence / not_applicable
    score: int | None
    map_observable: bool
    rule_ids: list[str]


@dataclass
class DomainResult:
    code: str
    name: str
    score: float | None
    threshold: float
    passed: bool
    criteria_scored: int
    criteria_total: int


@dataclass
class AnalysisResult:
    rubric_key: str
    rubric_hash: str
    rules_key: str
    rules_hash: str
    workflow_name: str
    workflow_hash: str
    node_count: int
    edge_count: int
    facts: dict[str, Any]
    passed: bool
    reasons: list[str]
    overall_score: float | None
    domains: list[DomainResult]
    criteria: list[CriterionResult]
    findings: list[Finding]
    coverage: dict[str, list[str]]
    # Position of each step in the document's ``nodes`` list, for JSON pointers (not serialised).
    node_index: dict[str, int] = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, Any]:
        """Counts of findings by status, and of failing findings by severity."""
        by_status = dict.fromkeys(STATUSES, 0)
        failing = dict.fromkeys(SEVERITY_WEIGHT, 0)
        for f in self.findings:
            by_status[f.status] += 1
            if f.failing:
                failing[f.severity] += 1
        return {"findings": len(self.findings), "by_status": by_status, "failing_by_severity": failing}

    def domain(self, code: str) -> DomainResult | None:
        return next((d for d in self.domains if d.code == code), None)

    def finding(self, rule_id: str) -> Finding | None:
        return next((f for f in self.findings if f.rule_id == rule_id), None)

    def to_data(self) -> dict[str, Any]:
        """The result as JSON-able data, in a stable order (same input, same bytes)."""
        return {
            "schema": RESULT_SCHEMA,
            "engine": ENGINE_VERSION,
            "rubric": {"key": self.rubric_key, "hash": self.rubric_hash},
            "rules": {"key": self.rules_key, "hash": self.rules_hash},
            "workflow": {
                "name": self.workflow_name,
                "hash": self.workflow_hash,
                "nodes": self.node_count,
                "edges": self.edge_count,
                "facts": self.facts,
            },
            "passed": self.passed,
            "reasons": self.reasons,
            "overall_score": self.overall_score,
            "domains": [asdict(d) for d in self.domains],
            "criteria": [asdict(c) for c in self.criteria],
            "findings": [asdict(f) for f in self.findings],
            "coverage": self.coverage,
            "summary": self.summary(),
        }


# --- applicability ----------------------------------------------------------------------------


def _not_applicable_reason(aw: AppliesWhen, doc: WorkflowDocument, g: Graph) -> str | None:
    """None when the rule applies, else why it does not."""
    facts = doc.facts
    if aw.personal_data is not None and facts.personal_data != aw.personal_data:
        return "the workflow " + ("does not handle" if aw.personal_data else "handles") + " personal data"
    if aw.stakes is not None and facts.stakes != aw.stakes:
        return f"decision stakes are {facts.stakes}"
    if aw.audience is not None and facts.audience != aw.audience:
        return f"the audience is {facts.audience}"
    if aw.regulated is not None and facts.regulated != aw.regulated:
        return "the workflow is " + ("not " if aw.regulated else "") + "regulated"
    if aw.has_nodes and len(g.select(aw.has_nodes)) < aw.min_count:
        count = "a" if aw.min_count == 1 else f"{aw.min_count}"
        return (
            f"the workflow has fewer than {count} {describe(aw.has_nodes)} step(s)"
            if aw.min_count > 1
            else (f"the workflow has no {describe(aw.has_nodes)} step")
        )
    if aw.autonomy_at_least is not None and g.max_autonomy < AUTONOMY_LEVELS.index(aw.autonomy_at_least):
        return f"no step runs at autonomy {aw.autonomy_at_least} or above"
    for sub in aw.all_of:
        reason = _not_applicable_reason(sub, doc, g)
        if reason is not None:
            return reason
    if aw.any_of:
        reasons = [_not_applicable_reason(sub, doc, g) for sub in aw.any_of]
        if all(r is not None for r in reasons):
            return " and ".join(r for r in reasons if r)
    return None


# --- scoring ----------------------------------------------------------------------------------


def criterion_score(findings: Iterable[Finding]) -> int | None:
    """The 0-4 map-based score of one criterion from its findings (see the module docstring)."""
    scored = [f for f in findings if f.status in STATUS_VALUE]
    if not scored:
        return None
    total = sum(SEVERITY_WEIGHT[f.severity] for f in scored)
    share = sum(SEVERITY_WEIGHT[f.severity] * STATUS_VALUE[f.status] for f in scored) / total
    # Round half up (Python's round() rounds halves to even); the epsilon absorbs float error.
    score = int(MAP_MAX_SCORE * share + 0.5 + 1e-9)
    if any(f.status == "missing" and f.severity == "critical" for f in scored):
        score = min(score, 1)
    if any(f.status == "missing" and f.severity == "high" for f in scored):
        score = min(score, 2)
    if any(f.status != "met" for f in scored):
        score = min(score, MAP_MAX_SCORE - 1)
    return score


def _mean(values: list[float]) -> float | None:
    if not values:
        return None
    # Round half up on one decimal (Python's round() is banker's rounding).
    return int(sum(values) / len(values) * 10 + 0.5 + 1e-9) / 10


_HASHES: dict[int, tuple[Rubric | RuleSet, str]] = {}


def _hash_of(obj: Rubric | RuleSet) -> str:
    # Both are frozen and hashing the rubric costs milliseconds, so remember the last few.
    cached = _HASHES.get(id(obj))
    if cached is None or cached[0] is not obj:
        if len(_HASHES) >= 16:
            _HASHES.clear()
        cached = (obj, obj.content_hash())
        _HASHES[id(obj)] = cached
    return cached[1]


# --- the engine -------------------------------------------------------------------------------


def _finding(rule: Rule, outcome: Outcome, g: Graph) -> Finding:
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        criterion=rule.criterion,
        domain=rule.domain,
        severity=rule.severity,
        status=outcome.status,
        node_ids=sorted(g.ids[i] for i in outcome.nodes),
        paths=[[g.ids[i] for i in p] for p in outcome.paths],
        expected=rule.expected or outcome.expected,
        actual=outcome.actual,
        message=rule.message,
        remediation=rule.remediation,
        guideline=rule.guideline,
    )


def _sort_key(code: str) -> tuple[int, ...]:
    # "PSF-2.10" sorts after "PSF-2.9"; "PSF-2-R03" by its number.
    digits = "".join(c if c.isdigit() else " " for c in code).split()
    return tuple(int(d) for d in digits)


def analyse(
    doc: WorkflowDocument,
    rubric: Rubric,
    rules: RuleSet | None = None,
    catalogue: Catalogue | None = None,
    *,
    workflow_hash: str | None = None,
) -> AnalysisResult:
    """Analyse one workflow document against a rubric version with a rule set.

    Rules whose criterion is not in the rubric are skipped. ``workflow_hash`` lets a caller
    that already knows the document's content hash (a stored version) skip recomputing it.
    Returns an :class:`AnalysisResult`; ``.to_data()`` gives the JSON form stored per version
    hash and served by the API.
    """
    # The analysis allocates many short-lived, acyclic objects (index lists, path witnesses, the
    # hashing dump). CPython's cyclic collector would rescan the whole large graph repeatedly while
    # they pile up, making big maps cost more than linearly; nothing here forms cycles, so pause it.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyse(doc, rubric, rules, catalogue, workflow_hash=workflow_hash)
    finally:
        if was_enabled:
            gc.enable()


def _analyse(
    doc: WorkflowDocument,
    rubric: Rubric,
    rules: RuleSet | None,
    catalogue: Catalogue | None,
    *,
    workflow_hash: str | None,
) -> AnalysisResult:
    rules = rules or default_rules()
    g = Graph(doc, catalogue or load_catalogue())
    criteria = {c.code: (d, c) for d in rubric.domains for c in d.criteria}

    findings: list[Finding] = []
    for rule in rules.rules:
        if rule.criterion not in criteria:
            continue
        _domain, crit = criteria[rule.criterion]
        reason = _not_applicable_reason(rule.applies_when, doc, g)
        if reason is not None:
            outcome = Outcome("not_applicable", "", f"does not apply: {reason}")
        else:
            outcome = PRIMITIVES[rule.condition.kind](rule.condition, g)
        if not crit.map_observable and outcome.status != "not_applicable":
            outcome = Outcome(
                "needs_evidence",
                outcome.expected,
                "not visible in a workflow map",
                outcome.nodes,
                outcome.paths,
            )
        findings.append(_finding(rule, outcome, g))
    findings.sort(key=lambda f: (_sort_key(f.criterion), _sort_key(f.rule_id)))

    by_criterion: dict[str, list[Finding]] = {}
    for f in findings:
        by_criterion.setdefault(f.criterion, []).append(f)

    criterion_results: list[CriterionResult] = []
    domain_results: list[DomainResult] = []
    domain_scores: dict[str, float] = {}
    for d in rubric.domains:
        scores: list[float] = []
        for c in d.criteria:
            own = by_criterion.get(c.code, [])
            score = criterion_score(own) if c.map_observable else None
            if score is not None:
                status = "scored"
                scores.append(score)
            elif own and all(f.status == "not_applicable" for f in own):
                status = "not_applicable"
            else:
                status = "needs_evidence"
            criterion_results.append(
                CriterionResult(
                    c.code, d.code, c.title, status, score, c.map_observable, [f.rule_id for f in own]
                )
            )
        dscore = _mean(scores)
        if dscore is not None:
            domain_scores[d.code] = dscore
        threshold = rubric.pass_rule.threshold_for(d.code)
        ok = (
            dscore is not None
            and dscore >= threshold
            and not (rubric.pass_rule.forbid_zero_domain and dscore == 0)
        )
        domain_results.append(
            DomainResult(d.code, d.name, dscore, threshold, ok, len(scores), len(d.criteria))
        )

    passed, reasons = rubric.pass_rule.evaluate(domain_scores)
    for dr in domain_results:
        if dr.score is None and not any(dr.code in t.domains for t in rubric.pass_rule.thresholds):
            # The pass rule only names thresholded domains; an unscored domain still fails.
            passed = False
            reasons.append(f"{dr.code} has no score")

    coverage: dict[str, set[str]] = {d.code: set() for d in rubric.domains}
    for i in range(g.n):
        info = g.type_info.get(g.types[i])
        if info is not None and info.category == "control":
            for code in info.domains:
                if code in coverage:
                    coverage[code].add(g.ids[i])
    for f in findings:
        if f.status == "met" and f.domain in coverage:
            coverage[f.domain].update(f.node_ids)

    return AnalysisResult(
        rubric_key=rubric.key,
        rubric_hash=_hash_of(rubric),
        rules_key=rules.key,
        rules_hash=_hash_of(rules),
        workflow_name=doc.name,
        workflow_hash=workflow_hash or doc.content_hash(),
        node_count=len(doc.nodes),
        edge_count=len(doc.edges),
        facts=doc.facts.model_dump(mode="json"),
        passed=passed,
        reasons=reasons,
        overall_score=_mean(list(domain_scores.values())),
        domains=domain_results,
        criteria=criterion_results,
        findings=findings,
        coverage={code: sorted(ids) for code, ids in coverage.items()},
        node_index=g.index,
    )
