"""Reads for assessments: lists, the review queue, the per-criterion working view, activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, Count, DateField, F, Q, QuerySet, Value, When

from accounts.access import conflicted_organisation_ids, conflicted_users
from accounts.models import Organisation, User
from psf.rubric import EVIDENCE_TYPE_LABELS, Rubric
from studio.models import Workflow, WorkflowVersion

from . import sla
from .evidence_kinds import analysis_service
from .models import ActivityEvent, Assessment, CriterionScore, EvidenceItem, Submission

A = Assessment

STATUS_PILLS = {
    A.APPLIED: "pill-warn",
    A.SCOPING: "pill-assessor",
    A.PREPARING: "pill-muted",
    A.SUBMITTED: "pill-warn",
    A.IN_REVIEW: "pill-assessor",
    A.CLARIFICATION: "pill-warn",
    A.PASSED: "pill-ok",
    A.FAILED: "pill-bad",
    A.WITHDRAWN: "pill-muted",
}
# The six steps of the seed, and which statuses belong to each (for the progress strip).
STEPS = [
    ("Apply", (A.APPLIED,)),
    ("Scoping", (A.SCOPING,)),
    ("Workflow mapping", (A.PREPARING,)),
    ("Evidence submission", (A.SUBMITTED, A.CLARIFICATION)),
    ("Assessor review", (A.IN_REVIEW,)),
    ("Outcome", (A.PASSED, A.FAILED, A.WITHDRAWN)),
]


def status_step(status: str) -> int:
    return next(i for i, (_, states) in enumerate(STEPS) if status in states)


def steps_for(a: Assessment) -> list[dict[str, Any]]:
    current = status_step(a.status)
    return [
        {"label": label, "state": "done" if i < current else "current" if i == current else "todo"}
        for i, (label, _) in enumerate(STEPS)
    ]


def sla_due_of(a: Assessment) -> sla.DueState:
    """The service-level date that matters in the assessment's current state."""
    if a.status == A.APPLIED:
        return sla.due_state(a.acknowledge_due)
    if a.status in (A.SUBMITTED, A.IN_REVIEW):
        return sla.due_state(a.review_due)
    if a.status == A.CLARIFICATION:
        return sla.due_state(a.review_due, paused=True)
    return sla.due_state(None)


# --- organisation side ----------------------------------------------------------------------------


def assessment_list(*, organisation: Organisation) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(organisation=organisation).select_related("assessor").order_by("-created")
    )


def open_assessment(*, organisation: Organisation) -> Assessment | None:
    return Assessment.objects.filter(organisation=organisation, status__in=A.OPEN_STATES).first()


def activity_for_organisation(*, organisation: Organisation, limit: int = 10) -> list[ActivityEvent]:
    return list(
        ActivityEvent.objects.filter(organisation=organisation)
        .select_related("actor", "assessment")
        .order_by("-created", "-pk")[:limit]
    )


def activity_for_assessment(*, assessment: Assessment, limit: int = 50) -> list[ActivityEvent]:
    return list(assessment.activity.select_related("actor").order_by("-created", "-pk")[:limit])


def latest_submission(*, assessment: Assessment) -> Submission | None:
    return assessment.submissions.order_by("-number").first()


@dataclass
class ScopeRow:
    workflow: Workflow
    head: WorkflowVersion | None
    analysis: Any | None
    analysis_note: str


def scope_rows(*, assessment: Assessment, compute: bool = True) -> list[ScopeRow]:
    """Per in-scope workflow: its latest version and that version's PSF analysis (if any)."""
    service = analysis_service()
    rows = []
    workflows = list(assessment.scope_workflows.order_by("name"))
    heads = {
        (v.workflow_id, v.number): v
        for v in WorkflowVersion.objects.filter(workflow__in=workflows).filter(
            number__in={w.head_number for w in workflows}
        )
    }
    for wf in workflows:
        head = heads.get((wf.pk, wf.head_number))
        analysis, note = None, ""
        if wf.deleted_at is not None:
            note = "workflow deleted"
        elif head is None:
            note = "no saved version"
        elif service is None:
            note = "not analysed yet"
        else:
            try:
                analysis = (
                    service.analysis_for_version(version=head)
                    if compute
                    else service.latest_analysis(version=head)
                )
            except Exception:  # a broken analysis shows as missing, never as an error page
                analysis = None
            if analysis is None:
                note = "not analysed yet"
        rows.append(ScopeRow(wf, head, analysis, note))
    return rows


def workflows_not_in_scope(*, assessment: Assessment) -> QuerySet[Workflow]:
    return (
        Workflow.objects.filter(organisation_id=assessment.organisation_id, deleted_at__isnull=True)
        .exclude(pk__in=assessment.scope_workflows.values("pk"))
        .order_by("name")
    )


@dataclass
class CriterionView:
    code: str
    title: str
    requirement: str
    expected: list[str]
    checklist_note: str
    items: list[Any] = field(default_factory=list)
    score: CriterionScore | None = None
    analysis: list[dict[str, Any]] = field(default_factory=list)
    levels: list[Any] = field(default_factory=list)


@dataclass
class DomainView:
    code: str
    name: str
    threshold: float
    criteria: list[CriterionView]
    score: float | None = None

    @property
    def evidence_count(self) -> int:
        return sum(len(c.items) for c in self.criteria)

    @property
    def covered(self) -> int:
        return sum(1 for c in self.criteria if c.items)

    @property
    def scored(self) -> int:
        return sum(1 for c in self.criteria if c.score is not None)

    @property
    def met(self) -> bool | None:
        return None if self.score is None else self.score >= self.threshold


def working_view(*, assessment: Assessment, rubric: Rubric) -> list[DomainView]:
    """The organisation's working set: per domain and criterion, the checklist and current evidence."""
    items = list(
        assessment.evidence.filter(removed_at__isnull=True).select_related("added_by").order_by("created")
    )
    checklist = {row["criterion"]: row for row in assessment.checklist}
    out = []
    for d in rubric.domains:
        criteria = []
        for c in d.criteria:
            row = checklist.get(c.code, {"evidence": list(c.evidence), "note": ""})
            criteria.append(
                CriterionView(
                    c.code,
                    c.title,
                    c.requirement,
                    [EVIDENCE_TYPE_LABELS.get(t, t) for t in row.get("evidence", [])],
                    row.get("note", ""),
                    [i for i in items if i.criterion == c.code],
                )
            )
        out.append(
            DomainView(
                d.code,
                d.name,
                rubric.pass_rule.threshold_for(d.code),
                criteria,
                assessment.domain_scores.get(d.code),
            )
        )
    return out


def snapshot_view(*, assessment: Assessment, rubric: Rubric, snapshot: dict[str, Any]) -> list[DomainView]:
    """The frozen submission per domain and criterion, with the assessor's scores beside it."""
    scores = {s.criterion: s for s in assessment.scores.all()}
    crit = snapshot.get("criteria", {})
    analyses = [(row["name"], row["analysis"]) for row in snapshot.get("scope", []) if row.get("analysis")]
    out = []
    for d in rubric.domains:
        criteria = []
        for c in d.criteria:
            entry = crit.get(c.code, {})
            hints = []
            for name, an in analyses:
                r = an.get("criteria", {}).get(c.code)
                if r:
                    hints.append(
                        {
                            "workflow": name,
                            "status": str(r.get("status") or "").replace("_", " "),
                            "score": r.get("score"),
                        }
                    )
            criteria.append(
                CriterionView(
                    c.code,
                    c.title,
                    c.requirement,
                    [EVIDENCE_TYPE_LABELS.get(t, t) for t in entry.get("expected", [])],
                    entry.get("checklist_note", ""),
                    entry.get("evidence", []),
                    scores.get(c.code),
                    hints,
                    list(c.levels),
                )
            )
        out.append(
            DomainView(
                d.code,
                d.name,
                rubric.pass_rule.threshold_for(d.code),
                criteria,
                assessment.domain_scores.get(d.code),
            )
        )
    return out


# --- the review queue -------------------------------------------------------------------------------

QUEUE_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "action": ("Needs an assessor", (A.APPLIED, A.SCOPING, A.SUBMITTED, A.IN_REVIEW)),
    "open": ("All open", A.OPEN_STATES),
    **{s: (label, (s,)) for s, label in A.STATUSES},
    "decided": ("Decided", (A.PASSED, A.FAILED)),
    "all": ("Everything", tuple(s for s, _ in A.STATUSES)),
}
QUEUE_SORTS: dict[str, tuple[str, list[Any]]] = {
    "due": ("SLA due date (soonest first)", [F("sla_due").asc(nulls_last=True), "submitted_at", "pk"]),
    "-due": ("SLA due date (latest first)", [F("sla_due").desc(nulls_last=True), "pk"]),
    "submitted": ("Submitted (oldest first)", [F("submitted_at").asc(nulls_last=True), "pk"]),
    "-submitted": ("Submitted (newest first)", [F("submitted_at").desc(nulls_last=True), "-pk"]),
    "organisation": ("Organisation A–Z", ["organisation__name", "pk"]),
    "status": ("Status", ["status", "pk"]),
}


@dataclass(frozen=True)
class QueueFilters:
    group: str = "action"
    assignee: str = ""  # "" any, "me", "none", or a user id
    overdue: bool = False
    expedited: bool = False
    sort: str = "due"
    q: str = ""

    @classmethod
    def from_params(cls, params: Any) -> QueueFilters:
        group = params.get("status", "action")
        sort = params.get("sort", "due")
        assignee = params.get("assignee", "")
        if assignee not in ("", "me", "none") and not str(assignee).isdigit():
            assignee = ""
        return cls(
            group=group if group in QUEUE_GROUPS else "action",
            assignee=str(assignee),
            overdue=params.get("overdue") in ("1", "on", "true"),
            expedited=params.get("expedited") in ("1", "on", "true"),
            sort=sort if sort in QUEUE_SORTS else "due",
            q=str(params.get("q", ""))[:100].strip(),
        )

    def as_params(self) -> dict[str, str]:
        out = {"status": self.group, "assignee": self.assignee, "sort": self.sort, "q": self.q}
        if self.overdue:
            out["overdue"] = "1"
        if self.expedited:
            out["expedited"] = "1"
        return {k: v for k, v in out.items() if v}


TIER_SHORT = {"startup": "Start-up", "mid_market": "Mid-market", "enterprise": "Enterprise"}
STATUS_LABELS = dict(A.STATUSES)


@dataclass
class QueueRow:
    """One row of the queue, with its display strings worked out once (500 rows render fast)."""

    assessment: Assessment
    due: sla.DueState
    conflicted: bool
    can_open: bool
    can_claim: bool
    can_accept: bool
    reference: str = ""
    organisation: str = ""
    tier: str = ""
    status_label: str = ""
    pill: str = ""
    due_text: str = ""
    assessor: str = ""
    when: str = ""
    when_title: str = ""
    id: str = ""
    overdue: bool = False
    due_pill: str = ""
    expedited: bool = False

    def __post_init__(self) -> None:
        a = self.assessment
        self.id = str(a.pk)
        self.overdue = self.due.overdue
        self.due_pill = self.due.pill
        self.expedited = a.expedited
        self.reference = f"DSA-{a.pk:05d}"
        self.organisation = a.organisation.name
        self.tier = TIER_SHORT.get(a.size_tier, a.size_tier)
        self.status_label = STATUS_LABELS.get(a.status, a.status)
        self.pill = STATUS_PILLS[a.status]
        if self.due.due is not None:
            self.due_text = f"{self.due.due:%a} {self.due.due.day} {self.due.due:%b} · {self.due.label}"
        elif self.due.paused:
            self.due_text = self.due.label
        self.assessor = (a.assessor.name or a.assessor.email) if a.assessor else ""
        if a.submitted_at:
            self.when = f"{a.submitted_at.day} {a.submitted_at:%b}"
            self.when_title = f"submitted {a.submitted_at:%Y-%m-%d %H:%M} UTC"
        else:
            self.when = f"applied {a.applied_at.day} {a.applied_at:%b}"


def queue_queryset(*, user: User, filters: QueueFilters, today: date | None = None) -> QuerySet[Assessment]:
    now = today or sla.today()
    qs = (
        Assessment.objects.select_related("organisation", "assessor")
        .only(
            "id",
            "status",
            "expedited",
            "size_tier",
            "applied_at",
            "acknowledge_due",
            "submitted_at",
            "review_due",
            "sla_paused_at",
            "claimed_at",
            "decided_at",
            "organisation",
            "organisation__name",
            "assessor",
            "assessor__email",
            "assessor__name",
        )
        .annotate(
            sla_due=Case(
                When(status=A.APPLIED, then=F("acknowledge_due")),
                When(status__in=[A.SUBMITTED, A.IN_REVIEW], then=F("review_due")),
                default=Value(None),
                output_field=DateField(),
            )
        )
        .filter(status__in=QUEUE_GROUPS[filters.group][1])
    )
    if filters.assignee == "me":
        qs = qs.filter(assessor=user)
    elif filters.assignee == "none":
        qs = qs.filter(assessor__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assessor_id=int(filters.assignee))
    if filters.overdue:
        qs = qs.filter(sla_due__lt=now)
    if filters.expedited:
        qs = qs.filter(expedited=True)
    if filters.q:
        q = filters.q.upper().removeprefix("DSA-").lstrip("0")
        cond = Q(organisation__name__icontains=filters.q)
        if q.isdigit():
            cond |= Q(pk=int(q))
        qs = qs.filter(cond)
    return qs.order_by(*QUEUE_SORTS[filters.sort][1])


def review_queue(*, user: User, filters: QueueFilters, limit: int = 1000) -> list[QueueRow]:
    """The assessor's queue, in a constant number of queries whatever its length."""
    own_orgs = conflicted_organisation_ids(user)  # current members and members in the last 2 years
    rows = []
    for a in queue_queryset(user=user, filters=filters)[:limit]:
        conflicted = a.organisation_id in own_orgs
        mine_or_free = user.is_staff or a.assessor_id in (None, user.pk)
        rows.append(
            QueueRow(
                a,
                sla_due_of(a),
                conflicted,
                can_open=not conflicted and mine_or_free,
                can_claim=not conflicted and a.status == A.SUBMITTED and a.assessor_id in (None, user.pk),
                can_accept=not conflicted and a.status == A.APPLIED and a.assessor_id in (None, user.pk),
            )
        )
    return rows


def queue_counts() -> dict[str, int]:
    """How many assessments are in each status (one query)."""
    counts = dict(
        Assessment.objects.order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    out = {s: counts.get(s, 0) for s, _ in A.STATUSES}
    for key, (_, states) in QUEUE_GROUPS.items():
        if key not in out:
            out[key] = sum(counts.get(s, 0) for s in states)
    return out


def assessor_summary(*, user: User) -> dict[str, int]:
    """Figures for the assessor's dashboard panel (one query)."""
    today = sla.today()
    agg = Assessment.objects.aggregate(
        to_acknowledge=Count("id", filter=Q(status=A.APPLIED)),
        in_queue=Count("id", filter=Q(status=A.SUBMITTED)),
        mine=Count("id", filter=Q(assessor=user, status__in=A.OPEN_STATES)),
        overdue=Count(
            "id",
            filter=Q(status=A.APPLIED, acknowledge_due__lt=today)
            | Q(status__in=[A.SUBMITTED, A.IN_REVIEW], review_due__lt=today),
        ),
    )
    return {k: int(v or 0) for k, v in agg.items()}


def assessors(*, exclude_organisation_id: int | None = None) -> list[User]:
    qs = User.objects.filter(is_active=True).filter(Q(is_assessor=True) | Q(is_staff=True)).order_by("email")
    if exclude_organisation_id is not None:
        qs = qs.exclude(pk__in=conflicted_users(exclude_organisation_id).values("pk"))
    return list(qs)


def evidence_items(*, assessment: Assessment) -> QuerySet[EvidenceItem]:
    return (
        assessment.evidence.filter(removed_at__isnull=True)
        .select_related("added_by")
        .order_by("criterion", "created")
    )


def domain_rows(
    *, assessment: Assessment, rubric: Rubric, scores: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """Per domain: its score (derived from criterion scores), the pass threshold and whether it is met."""
    values = assessment.domain_scores if scores is None else scores
    rows = []
    for d in rubric.domains:
        threshold = rubric.pass_rule.threshold_for(d.code)
        score = values.get(d.code)
        rows.append(
            {
                "code": d.code,
                "name": d.name,
                "score": score,
                "threshold": threshold,
                "met": score is not None and score >= threshold,
            }
        )
    return rows
