"""The MSP launch pack of one client, and its monthly governance report, built from its own data.

Two layers:

* Pure builders (:func:`build_launch_pack`, :func:`build_monthly_report`) turn plain inputs — each
  live workflow's head document and its stored PSF analysis, the client's trust marks and
  simulation runs — into typed, frozen dataclasses. No Django, no database: tested on their own.
* Selectors (:func:`launch_pack_for`, :func:`monthly_report_for`) gather those inputs for an
  organisation and call the builders. Templates (HTML pages and the WeasyPrint PDF) only show the
  dataclasses; every user-typed string reaches them as plain text and is escaped there.

Rules, in one place so the page, the PDF and the tests agree:

* **Weak PSF domain** (one workshop session each): in the latest analysis of at least one live
  workflow, the domain's map-based score is below the rubric's pass threshold for it, or it has no
  map-based score at all while other domains do (nothing the map shows counts yet), or it has a
  failing (missing or partial) finding of severity in :data:`WEAK_SEVERITIES`.
* **Control plan**: one row per missing or partial finding per workflow, ordered by priority
  (severity), then domain and rule. Owner and due date are left blank for the client to fill.
* **Author** (:func:`author_for`): the adviser is the person asking. Their firm is the
  organisation they *administer* other than the client (the oldest such membership): an MSP's
  staff run their own organisation, while the organisations they merely work in are clients. With
  no such organisation the author is the person's own name — never another client's name, which
  would tell one client who else the adviser serves.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from accounts.branding import Branding

if TYPE_CHECKING:
    from accounts.models import Organisation, User

# --- rules as data -------------------------------------------------------------------------------

WEAK_SEVERITIES = ("critical", "high")
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# Priority shown in the control plan, and the target the client is advised to plan for.
PRIORITY = {
    "critical": ("P1", "within 2 weeks"),
    "high": ("P2", "within 30 days"),
    "medium": ("P3", "within 90 days"),
    "low": ("P4", "next review"),
}
AUTONOMY_MEANING = {
    "L0": "Suggests only; a person decides and acts",
    "L1": "Acts only after a person approves each action",
    "L2": "Acts on routine cases; people review exceptions and samples",
    "L3": "Acts on its own within set limits",
    "L4": "Fully autonomous",
}
NOT_DECLARED = "not declared"
AI_STEP_TYPES = ("llm_call", "agent")
SESSION_MINUTES = 60
SESSION_MINUTES_CRITICAL = 90  # a domain with a failing critical finding gets longer
SESSION_FINDINGS_SHOWN = 6
HISTORY_MONTHS = 6
MARK_EXPIRY_WARNING_DAYS = 60
FACT_LABELS = {
    "personal_data": "Personal data",
    "stakes": "Decision stakes",
    "audience": "Audience",
    "regulated": "Regulated",
}
OPEN_QUESTIONS = [
    "Who is accountable for each AI system in production (name and role)?",
    "Which AI systems are in use but not mapped here (shadow AI, vendor features, pilots)?",
    "Which laws, regulators and customer contracts apply to these systems?",
    "How is an AI incident reported today, and who is on call?",
    "Which changes (model, prompt, tools) need approval before release, and by whom?",
    "What evidence of testing exists today (evaluations, red-team results, monitoring dashboards)?",
]


# --- the author ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    """Who the pack is by: an organisation's name (the adviser's firm) or the adviser's own name."""

    name: str
    person: str
    is_organisation: bool

    @property
    def line(self) -> str:
        if self.is_organisation and self.person:
            return f"{self.name} ({self.person})"
        return self.name


def author_for(*, user: User | None, organisation: Organisation) -> Author:
    """The author of ``organisation``'s pack when ``user`` asks for it (rule in the module docstring)."""
    from django.conf import settings

    from accounts.models import Membership

    if user is None:
        return Author(name=settings.ISSUER_NAME, person="", is_organisation=True)
    home = (
        Membership.objects.select_related("organisation")
        .filter(user=user, role=Membership.ADMIN)
        .exclude(organisation=organisation)
        .order_by("created", "pk")
        .first()
    )
    if home is None:
        return Author(name=user.display_name, person=user.display_name, is_organisation=False)
    from accounts.branding import branding_for

    return Author(name=branding_for(home.organisation).name, person=user.display_name, is_organisation=True)


# --- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowInput:
    """One live workflow: its head version's document and that version's analysis result
    (``workflowos.analysis/v1`` data, or None when it could not be analysed)."""

    name: str
    version: int
    document: Mapping[str, Any]
    result: Mapping[str, Any] | None


@dataclass(frozen=True)
class DomainInfo:
    code: str
    name: str
    threshold: float


# --- the launch pack -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AiStep:
    workflow: str
    label: str
    kind: str  # "LLM call" / "Agent"
    model: str
    vendor: str
    autonomy: str
    data_categories: tuple[str, ...]


@dataclass(frozen=True)
class SystemInScope:
    name: str
    version: int
    description: str
    facts: tuple[tuple[str, str], ...]
    steps: int
    ai_steps: tuple[AiStep, ...]
    vendors: tuple[str, ...]
    highest_autonomy: str
    score: float | None
    passed: bool | None


@dataclass(frozen=True)
class UsageRow:
    """A vendor, data category or autonomy level and where the workflows use it."""

    key: str
    meaning: str
    used_in: tuple[str, ...]  # "Workflow — step"


@dataclass(frozen=True)
class Questionnaire:
    systems: tuple[SystemInScope, ...]
    vendors: tuple[UsageRow, ...]
    data_categories: tuple[UsageRow, ...]
    autonomy: tuple[UsageRow, ...]
    open_questions: tuple[str, ...]


@dataclass(frozen=True)
class FindingRef:
    workflow: str
    rule_id: str
    title: str
    severity: str
    status: str


@dataclass(frozen=True)
class WorkshopSession:
    number: int
    domain: str
    name: str
    minutes: int
    lowest_score: float | None
    threshold: float
    reasons: tuple[str, ...]
    workflows: tuple[str, ...]
    findings: tuple[FindingRef, ...]
    more_findings: int


@dataclass(frozen=True)
class ControlRow:
    ref: str
    priority: str
    target: str
    domain: str
    domain_name: str
    criterion: str
    workflow: str
    rule_id: str
    title: str
    severity: str
    status: str
    where: str
    remediation: str


@dataclass(frozen=True)
class LaunchPack:
    client: Branding
    client_name: str
    slug: str
    author: Author
    generated: datetime
    rubric: str
    questionnaire: Questionnaire
    sessions: tuple[WorkshopSession, ...]
    strong_domains: tuple[DomainInfo, ...]
    controls: tuple[ControlRow, ...]
    not_analysed: tuple[str, ...]

    @property
    def workshop_minutes(self) -> int:
        return sum(s.minutes for s in self.sessions)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _facts(document: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    facts = document.get("facts") or {}
    out = []
    for key, label in FACT_LABELS.items():
        value = facts.get(key)
        if isinstance(value, bool):
            out.append((label, "yes" if value else "no"))
        elif value is not None:
            out.append((label, str(value)))
    return tuple(out)


def _autonomy_rank(level: str) -> int:
    return list(AUTONOMY_MEANING).index(level) if level in AUTONOMY_MEANING else -1


def _system(w: WorkflowInput) -> SystemInScope:
    nodes = list(w.document.get("nodes") or [])
    ai_steps = []
    vendors: list[str] = []
    for n in nodes:
        config = n.get("config") or {}
        vendor = _text(config.get("vendor")).strip()
        if vendor and vendor not in vendors:
            vendors.append(vendor)
        if n.get("type") in AI_STEP_TYPES:
            ai_steps.append(
                AiStep(
                    workflow=w.name,
                    label=_text(n.get("label")),
                    kind="Agent" if n.get("type") == "agent" else "LLM call",
                    model=" ".join(
                        x for x in (_text(config.get("model")), _text(config.get("model_version"))) if x
                    ),
                    vendor=vendor,
                    autonomy=_text(config.get("autonomy_level")) or NOT_DECLARED,
                    data_categories=tuple(str(c) for c in config.get("data_categories") or []),
                )
            )
    levels = [s.autonomy for s in ai_steps if s.autonomy in AUTONOMY_MEANING]
    result = w.result or {}
    return SystemInScope(
        name=w.name,
        version=w.version,
        description=_text(w.document.get("description")),
        facts=_facts(w.document),
        steps=len(nodes),
        ai_steps=tuple(ai_steps),
        vendors=tuple(vendors),
        highest_autonomy=max(levels, key=_autonomy_rank) if levels else (NOT_DECLARED if ai_steps else "—"),
        score=result.get("overall_score"),
        passed=result.get("passed") if w.result is not None else None,
    )


def _usage(workflows: Sequence[WorkflowInput]) -> tuple[list[UsageRow], list[UsageRow], list[UsageRow]]:
    vendors: dict[str, list[str]] = defaultdict(list)
    categories: dict[str, list[str]] = defaultdict(list)
    autonomy: dict[str, list[str]] = defaultdict(list)
    for w in workflows:
        for n in w.document.get("nodes") or []:
            config = n.get("config") or {}
            where = f"{w.name} — {_text(n.get('label'))}"
            vendor = _text(config.get("vendor")).strip()
            if vendor:
                vendors[vendor].append(where)
            for c in config.get("data_categories") or []:
                categories[str(c)].append(where)
            if n.get("type") in AI_STEP_TYPES:
                autonomy[_text(config.get("autonomy_level")) or NOT_DECLARED].append(where)
    order = [*AUTONOMY_MEANING, NOT_DECLARED]
    return (
        [UsageRow(k, "", tuple(v)) for k, v in sorted(vendors.items(), key=lambda kv: kv[0].lower())],
        [UsageRow(k, "", tuple(v)) for k, v in sorted(categories.items())],
        [
            UsageRow(
                k, AUTONOMY_MEANING.get(k, "Set the level on the step in the studio"), tuple(autonomy[k])
            )
            for k in order
            if k in autonomy
        ],
    )


def _failing(result: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not result:
        return []
    return [f for f in result.get("findings") or [] if f.get("status") in ("missing", "partial")]


def _severity_key(f: Mapping[str, Any] | FindingRef) -> int:
    sev = f.severity if isinstance(f, FindingRef) else str(f.get("severity"))
    return SEVERITY_ORDER.get(sev, 9)


def weak_domains(
    workflows: Sequence[WorkflowInput], domains: Sequence[DomainInfo]
) -> list[tuple[DomainInfo, list[str], list[str], float | None]]:
    """The weak domains in rubric order, each with (reasons, workflows, lowest score)."""
    out = []
    for d in domains:
        reasons: list[str] = []
        affected: list[str] = []
        scores: list[float] = []
        for w in workflows:
            if not w.result:
                continue
            dr = next((x for x in w.result.get("domains") or [] if x.get("code") == d.code), None)
            score = dr.get("score") if dr else None
            threshold = float(dr.get("threshold", d.threshold)) if dr else d.threshold
            why = []
            if score is not None:
                scores.append(float(score))
                if float(score) < threshold:
                    why.append(f"{w.name}: score {float(score):.1f} below {threshold:.1f}")
            elif w.result.get("overall_score") is not None:
                why.append(f"{w.name}: no score from the map (evidence needed)")
            serious = [
                f
                for f in _failing(w.result)
                if f.get("domain") == d.code and f.get("severity") in WEAK_SEVERITIES
            ]
            if serious:
                n = len(serious)
                why.append(f"{w.name}: {n} {'/'.join(WEAK_SEVERITIES)} finding{'s' if n != 1 else ''} open")
            if why:
                reasons.extend(why)
                affected.append(w.name)
        if reasons:
            out.append((d, reasons, affected, min(scores) if scores else None))
    return out


def _sessions(
    workflows: Sequence[WorkflowInput], domains: Sequence[DomainInfo]
) -> tuple[list[WorkshopSession], list[DomainInfo]]:
    weak = weak_domains(workflows, domains)
    weak_codes = {d.code for d, *_ in weak}
    sessions = []
    for i, (d, reasons, affected, lowest) in enumerate(weak, start=1):
        refs = sorted(
            (
                FindingRef(
                    w.name,
                    str(f.get("rule_id")),
                    str(f.get("title")),
                    str(f.get("severity")),
                    str(f.get("status")),
                )
                for w in workflows
                for f in _failing(w.result)
                if f.get("domain") == d.code
            ),
            key=lambda r: (_severity_key(r), r.rule_id, r.workflow),
        )
        critical = any(r.severity == "critical" for r in refs)
        sessions.append(
            WorkshopSession(
                number=i,
                domain=d.code,
                name=d.name,
                minutes=SESSION_MINUTES_CRITICAL if critical else SESSION_MINUTES,
                lowest_score=lowest,
                threshold=d.threshold,
                reasons=tuple(reasons),
                workflows=tuple(affected),
                findings=tuple(refs[:SESSION_FINDINGS_SHOWN]),
                more_findings=max(0, len(refs) - SESSION_FINDINGS_SHOWN),
            )
        )
    return sessions, [d for d in domains if d.code not in weak_codes]


def _controls(workflows: Sequence[WorkflowInput], domains: Sequence[DomainInfo]) -> list[ControlRow]:
    names = {d.code: d.name for d in domains}
    order = {d.code: i for i, d in enumerate(domains)}
    rows = []
    for w in workflows:
        labels = {n.get("id"): _text(n.get("label")) for n in w.document.get("nodes") or []}
        for f in _failing(w.result):
            sev = str(f.get("severity"))
            where = [labels.get(nid, str(nid)) for nid in f.get("node_ids") or []]
            rows.append((w, f, sev, where))
    rows.sort(
        key=lambda r: (
            SEVERITY_ORDER.get(r[2], 9),
            order.get(str(r[1].get("domain")), 99),
            str(r[1].get("rule_id")),
            r[0].name,
        )
    )
    out = []
    for i, (w, f, sev, where) in enumerate(rows, start=1):
        priority, target = PRIORITY.get(sev, ("P4", "next review"))
        domain = str(f.get("domain"))
        out.append(
            ControlRow(
                ref=f"C-{i:02d}",
                priority=priority,
                target=target,
                domain=domain,
                domain_name=names.get(domain, domain),
                criterion=str(f.get("criterion")),
                workflow=w.name,
                rule_id=str(f.get("rule_id")),
                title=str(f.get("title")),
                severity=sev,
                status=str(f.get("status")),
                where=", ".join(where[:4]) + (f" and {len(where) - 4} more" if len(where) > 4 else ""),
                remediation=str(f.get("remediation") or ""),
            )
        )
    return out


def build_launch_pack(
    *,
    workflows: Sequence[WorkflowInput],
    domains: Sequence[DomainInfo],
    client: Branding,
    client_name: str,
    slug: str,
    author: Author,
    generated: datetime,
    rubric: str,
) -> LaunchPack:
    """The launch pack from the client's workflows and their analyses (pure; see module rules)."""
    vendors, categories, autonomy = _usage(workflows)
    sessions, strong = _sessions(workflows, domains)
    return LaunchPack(
        client=client,
        client_name=client_name,
        slug=slug,
        author=author,
        generated=generated,
        rubric=rubric,
        questionnaire=Questionnaire(
            systems=tuple(_system(w) for w in workflows),
            vendors=tuple(vendors),
            data_categories=tuple(categories),
            autonomy=tuple(autonomy),
            open_questions=tuple(OPEN_QUESTIONS),
        ),
        sessions=tuple(sessions),
        strong_domains=tuple(strong),
        controls=tuple(_controls(workflows, domains)),
        not_analysed=tuple(w.name for w in workflows if w.result is None),
    )


# --- the monthly governance report -----------------------------------------------------------------


def month_start(value: date) -> date:
    return value.replace(day=1)


def month_end(value: date) -> date:
    return value.replace(day=calendar.monthrange(value.year, value.month)[1])


def previous_month(value: date) -> date:
    return month_start(month_start(value) - timedelta(days=1))


def months_ending(month: date, count: int = HISTORY_MONTHS) -> list[date]:
    """``count`` first-of-month dates, oldest first, ending with ``month``."""
    out = [month_start(month)]
    while len(out) < count:
        out.insert(0, previous_month(out[0]))
    return out


@dataclass(frozen=True)
class ScoreHistory:
    """A workflow's overall PSF score at the end of each month (None: no version or no score)."""

    workflow: str
    scores: tuple[float | None, ...]

    @property
    def latest(self) -> float | None:
        return next((s for s in reversed(self.scores) if s is not None), None)

    @property
    def change(self) -> float | None:
        known = [s for s in self.scores if s is not None]
        return round(known[-1] - known[0], 1) if len(known) >= 2 else None


@dataclass(frozen=True)
class MarkRow:
    mark_id: str
    status: str
    issued: date
    expires: date
    days_left: int
    domains: str

    @property
    def expiring_soon(self) -> bool:
        return self.status == "active" and 0 <= self.days_left <= MARK_EXPIRY_WARNING_DAYS


@dataclass(frozen=True)
class SimulationRow:
    workflow: str
    version: int
    finished: datetime | None
    runs: int
    escape_rate: float | None
    escape_ci: tuple[float, float] | None
    passed: bool | None

    @property
    def escape_text(self) -> str:
        """``0.30 %`` (percent, two decimals); empty when the report has no rate."""
        return "" if self.escape_rate is None else f"{self.escape_rate * 100:.2f} %"

    @property
    def escape_ci_text(self) -> str:
        return (
            "" if self.escape_ci is None else f"{self.escape_ci[0] * 100:.2f}–{self.escape_ci[1] * 100:.2f} %"
        )


@dataclass(frozen=True)
class MonthlyReport:
    client: Branding
    client_name: str
    slug: str
    author: Author
    month: date
    generated: datetime
    months: tuple[date, ...]
    history: tuple[ScoreHistory, ...]
    mean_scores: tuple[float | None, ...]
    marks: tuple[MarkRow, ...]
    simulations: tuple[SimulationRow, ...]
    open_findings: int
    chart_svg: str = field(repr=False, default="")

    @property
    def key(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def valid_marks(self) -> int:
        return sum(1 for m in self.marks if m.status == "active")


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return int(sum(known) / len(known) * 10 + 0.5 + 1e-9) / 10 if known else None


def scores_chart_svg(
    months: Sequence[date],
    series: Sequence[float | None],
    *,
    colour: str = "#1e3a8a",
    width: int = 640,
    height: int = 180,
) -> str:
    """A small line chart of the mean PSF score per month (0–5); labels are escaped."""
    left, right, top, bottom = 34, 34, 16, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(months) - 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Mean PSF score per month, 0 to 5" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">'
    ]
    for s in range(6):
        y = top + plot_h * (1 - s / 5)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#64748b">{s}</text>')
    points = []
    for i, (m, v) in enumerate(zip(months, series, strict=True)):
        x = left + step * i if len(months) > 1 else left + plot_w / 2
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#475569">'
            f"{escape(m.strftime('%b %Y'))}</text>"
        )
        if v is not None:
            points.append((x, top + plot_h * (1 - v / 5), v))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{escape(colour)}" stroke-width="2.5"/>')
    for x, y, v in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{escape(colour)}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" fill="#0f172a" font-weight="bold">{v:.1f}</text>'
        )
    if not points:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
            f'fill="#64748b">No analysed workflow in this period</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def build_monthly_report(
    *,
    client: Branding,
    client_name: str,
    slug: str,
    author: Author,
    month: date,
    generated: datetime,
    history: Sequence[ScoreHistory],
    marks: Sequence[MarkRow],
    simulations: Sequence[SimulationRow],
    open_findings: int,
) -> MonthlyReport:
    """The monthly governance report (pure): scores over the last months, marks, escape rates."""
    months = tuple(months_ending(month))
    for h in history:
        assert len(h.scores) == len(months), "one score per month"
    means = tuple(_mean(h.scores[i] for h in history) for i in range(len(months)))
    return MonthlyReport(
        client=client,
        client_name=client_name,
        slug=slug,
        author=author,
        month=month_start(month),
        generated=generated,
        months=months,
        history=tuple(history),
        mean_scores=means,
        marks=tuple(marks),
        simulations=tuple(simulations),
        open_findings=open_findings,
        chart_svg=scores_chart_svg(months, means, colour=client.colour),
    )


# --- selectors: gathering a client's data ------------------------------------------------------


def _domains() -> tuple[list[DomainInfo], str]:
    from psf.selectors import rubric_of, rubric_version_current

    rv = rubric_version_current()
    if rv is None:
        return [], ""
    rubric = rubric_of(rv)
    return (
        [DomainInfo(d.code, d.name, float(rubric.pass_rule.threshold_for(d.code))) for d in rubric.domains],
        str(rv),
    )


def _live_heads(organisation: Organisation) -> list[Any]:
    """The head version of every live workflow of ``organisation``, by workflow name."""
    from django.db.models import F

    from studio.models import WorkflowVersion

    return list(
        WorkflowVersion.objects.select_related("workflow")
        .filter(
            workflow__organisation=organisation,
            workflow__deleted_at__isnull=True,
            number=F("workflow__head_number"),
        )
        .order_by("workflow__name", "workflow_id")
    )


def _analysis_data(version: Any) -> Mapping[str, Any] | None:
    from lib.errors import DomainError
    from studio.analysis_service import analysis_for_version

    try:
        return analysis_for_version(version=version).result
    except DomainError:  # no rubric loaded, or a document the engine refuses
        return None


def launch_pack_for(*, organisation: Organisation, user: User | None) -> LaunchPack:
    """The launch pack of ``organisation`` as ``user`` (the adviser) would hand it over.

    Uses the stored analysis of each live workflow's head version (computed and stored on first
    use, as the studio does)."""
    from django.utils import timezone

    from accounts.branding import branding_for

    domains, rubric = _domains()
    workflows = [
        WorkflowInput(name=v.workflow.name, version=v.number, document=v.document, result=_analysis_data(v))
        for v in _live_heads(organisation)
    ]
    return build_launch_pack(
        workflows=workflows,
        domains=domains,
        client=branding_for(organisation),
        client_name=organisation.name,
        slug=organisation.slug,
        author=author_for(user=user, organisation=organisation),
        generated=timezone.now(),
        rubric=rubric,
    )


def _score_history(organisation: Organisation, months: Sequence[date]) -> tuple[list[ScoreHistory], int]:
    """Each live workflow's score at each month's end (the version that was head then), and the
    number of open (missing or partial) findings of the versions current at the last month's end."""
    from studio.models import Workflow, WorkflowVersion

    ends = [_end_of_day(month_end(m)) for m in months]
    workflows = list(
        Workflow.objects.filter(
            organisation=organisation, deleted_at__isnull=True, created__lte=ends[-1]
        ).order_by("name", "pk")
    )
    versions: dict[int, list[Any]] = defaultdict(list)
    for v in (
        WorkflowVersion.objects.filter(workflow__in=workflows, created__lte=ends[-1])
        .only("pk", "workflow_id", "number", "created", "content_hash", "document")
        .order_by("workflow_id", "number")
    ):
        versions[v.workflow_id].append(v)
    cache: dict[int, Mapping[str, Any] | None] = {}
    history = []
    open_findings = 0
    for wf in workflows:
        scores: list[float | None] = []
        last: Any = None
        for end in ends:
            head = None
            for v in versions.get(wf.pk, []):
                if v.created <= end:
                    head = v
            if head is None:
                scores.append(None)
                continue
            if head.pk not in cache:
                head.workflow = wf
                cache[head.pk] = _analysis_data(head)
            data = cache[head.pk]
            scores.append(data.get("overall_score") if data else None)
            last = data
        open_findings += len(_failing(last))
        history.append(ScoreHistory(workflow=wf.name, scores=tuple(scores)))
    return history, open_findings


def _end_of_day(day: date) -> datetime:
    from django.utils import timezone

    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=timezone.get_current_timezone())


def monthly_report_for(*, organisation: Organisation, month: date, user: User | None) -> MonthlyReport:
    """The governance report of ``organisation`` for ``month`` (any day in it): scores at each of
    the last :data:`HISTORY_MONTHS` month ends, every trust mark with its status and expiry as of
    the month's end (or today, for the current month), and the simulations finished in the month."""
    from django.utils import timezone

    from accounts.branding import branding_for
    from simulations.models import SimulationRun
    from trustmarks.models import TrustMark

    month = month_start(month)
    months = months_ending(month)
    history, open_findings = _score_history(organisation, months)
    as_of = min(month_end(month), timezone.localdate())
    marks = [
        MarkRow(
            mark_id=m.mark_id,
            status=m.effective_status(as_of),
            issued=m.issued,
            expires=m.expires,
            days_left=(m.expires - as_of).days,
            domains=m.domains,
        )
        for m in TrustMark.objects.filter(organisation=organisation, issued__lte=month_end(month)).order_by(
            "-issued", "-number"
        )
    ]
    runs = (
        SimulationRun.objects.select_related("workflow", "version")
        .defer("version__document")
        .filter(
            organisation=organisation,
            status=SimulationRun.DONE,
            finished__gt=_end_of_day(month - timedelta(days=1)),
            finished__lte=_end_of_day(month_end(month)),
        )
        .order_by("workflow__name", "-finished", "-pk")
    )
    sims = []
    for r in runs:
        summary = (r.report or {}).get("summary") or {}
        ci = summary.get("escape_rate_ci95")
        sims.append(
            SimulationRow(
                workflow=r.workflow.name,
                version=r.version.number if r.version_id else 0,
                finished=r.finished,
                runs=r.n,
                escape_rate=summary.get("escape_rate"),
                escape_ci=(float(ci[0]), float(ci[1])) if isinstance(ci, list) and len(ci) == 2 else None,
                passed=r.passed,
            )
        )
    return build_monthly_report(
        client=branding_for(organisation),
        client_name=organisation.name,
        slug=organisation.slug,
        author=author_for(user=user, organisation=organisation),
        month=month,
        generated=timezone.now(),
        history=history,
        marks=marks,
        simulations=sims,
        open_findings=open_findings,
    )
