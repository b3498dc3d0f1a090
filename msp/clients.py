"""Reads for the adviser's Clients overview: one row per organisation the user belongs to.

Four queries whatever the number of organisations, marks, assessments and workflows: the
memberships (with their organisations), the trust marks, the open assessments and the workflows
(each annotated with its latest analysis by a correlated subquery). Everything else — SLA
states, overdue items, filtering and sorting — is computed in Python on those rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery

from accounts.models import Membership, Organisation, User
from assessments import sla
from assessments.models import Assessment
from assessments.selectors import sla_due_of
from studio.models import Analysis, Workflow, WorkflowVersion
from trustmarks.models import TrustMark

# A mark within this many days of its expiry counts as "expiring" (the surveillance window).
EXPIRING_DAYS = 60

MARK_FILTERS = [
    ("", "Any mark status"),
    ("active", "Active"),
    ("expiring", f"Expiring within {EXPIRING_DAYS} days"),
    ("expired", "Expired"),
    ("suspended", "Suspended"),
    ("revoked", "Revoked"),
    ("none", "No mark"),
]
SORTS = [
    ("name", "Name"),
    ("expiry", "Soonest mark expiry"),
    ("score", "Lowest analysis score"),
    ("overdue", "Most overdue items"),
]
MARK_PILLS = {
    TrustMark.ACTIVE: "pill-ok",
    TrustMark.SUSPENDED: "pill-warn",
    TrustMark.REVOKED: "pill-bad",
    TrustMark.EXPIRED: "pill-muted",
}
STATUS_LABELS = dict(Assessment.STATUSES)


@dataclass(frozen=True)
class ClientFilters:
    q: str = ""
    overdue: bool = False
    mark: str = ""
    sort: str = "name"

    @classmethod
    def from_params(cls, params: object) -> ClientFilters:
        get = getattr(params, "get", None)
        if get is None:
            return cls()
        mark = str(get("mark") or "")
        sort = str(get("sort") or "name")
        return cls(
            q=str(get("q") or "").strip()[:100],
            overdue=get("overdue") in ("1", "on", "true"),
            mark=mark if mark in dict(MARK_FILTERS) else "",
            sort=sort if sort in dict(SORTS) else "name",
        )


@dataclass(frozen=True)
class MarkSummary:
    mark_id: str
    status: str
    expires: date
    expiring: bool
    review_due: bool

    @property
    def pill(self) -> str:
        if self.status == TrustMark.ACTIVE and self.expiring:
            return "pill-warn"
        return MARK_PILLS.get(self.status, "pill-muted")

    @property
    def status_label(self) -> str:
        return "Expiring" if self.status == TrustMark.ACTIVE and self.expiring else self.status.capitalize()


@dataclass(frozen=True)
class AssessmentSummary:
    pk: int
    reference: str
    status: str
    due: sla.DueState
    target_date: date | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class WorkflowScore:
    pk: int
    name: str
    score: float | None
    passed: bool | None

    @property
    def score_text(self) -> str:
        return f"{self.score:.2f}" if self.score is not None else ""


@dataclass
class ClientRow:
    organisation: Organisation
    role: str
    is_active: bool
    marks: list[MarkSummary] = field(default_factory=list)
    assessments: list[AssessmentSummary] = field(default_factory=list)
    workflows: list[WorkflowScore] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def brand_name(self) -> str:
        return self.organisation.brand_name

    @property
    def mark_state(self) -> str:
        """The state of the organisation's newest mark, as the mark filter reads it."""
        if not self.marks:
            return "none"
        newest = self.marks[0]
        if newest.status == TrustMark.ACTIVE and newest.expiring:
            return "expiring"
        return newest.status

    @property
    def next_expiry(self) -> date | None:
        live = [m.expires for m in self.marks if m.status in (TrustMark.ACTIVE, TrustMark.SUSPENDED)]
        return min(live) if live else None

    @property
    def scored(self) -> list[float]:
        return [w.score for w in self.workflows if w.score is not None]

    @property
    def mean_score(self) -> float | None:
        scores = self.scored
        return sum(scores) / len(scores) if scores else None

    @property
    def lowest_score(self) -> float | None:
        scores = self.scored
        return min(scores) if scores else None


def _marks_by_org(org_ids: list[int], today: date) -> dict[int, list[MarkSummary]]:
    out: dict[int, list[MarkSummary]] = defaultdict(list)
    marks = (
        TrustMark.objects.filter(organisation_id__in=org_ids)
        .only("id", "number", "organisation_id", "status", "expires", "next_review", "issued")
        .order_by("organisation_id", "-issued", "-number")
    )
    for m in marks:
        status = m.effective_status(today)
        out[m.organisation_id].append(
            MarkSummary(
                mark_id=m.mark_id,
                status=status,
                expires=m.expires,
                expiring=status == TrustMark.ACTIVE and m.expires <= today + timedelta(days=EXPIRING_DAYS),
                review_due=m.review_due(today),
            )
        )
    return out


def _assessments_by_org(org_ids: list[int]) -> dict[int, list[AssessmentSummary]]:
    out: dict[int, list[AssessmentSummary]] = defaultdict(list)
    open_ones = (
        Assessment.objects.filter(organisation_id__in=org_ids, status__in=Assessment.OPEN_STATES)
        .only("id", "organisation_id", "status", "acknowledge_due", "review_due", "target_date")
        .order_by("organisation_id", "-created")
    )
    for a in open_ones:
        out[a.organisation_id].append(
            AssessmentSummary(
                pk=a.pk, reference=a.reference, status=a.status, due=sla_due_of(a), target_date=a.target_date
            )
        )
    return out


def _workflows_by_org(org_ids: list[int]) -> dict[int, list[WorkflowScore]]:
    """Each live workflow with the score of its latest stored analysis (of any of its versions)."""
    hashes = WorkflowVersion.objects.filter(workflow_id=OuterRef(OuterRef("pk"))).values("content_hash")
    latest = Analysis.objects.filter(
        organisation_id=OuterRef("organisation_id"), content_hash__in=hashes
    ).order_by("-created", "-pk")
    workflows = (
        Workflow.objects.filter(organisation_id__in=org_ids, deleted_at__isnull=True)
        .annotate(
            latest_score=Subquery(latest.values("overall_score")[:1]),
            latest_passed=Subquery(latest.values("passed")[:1]),
        )
        .order_by("organisation_id", "name", "pk")
        # Plain tuples: a page of a thousand workflows should not build a thousand models.
        .values_list("id", "name", "organisation_id", "latest_score", "latest_passed")
    )
    out: dict[int, list[WorkflowScore]] = defaultdict(list)
    for pk, name, org_id, score, passed in workflows:
        out[org_id].append(
            WorkflowScore(
                pk=pk,
                name=name,
                score=float(score) if score is not None else None,
                passed=bool(passed) if passed is not None else None,
            )
        )
    return out


def _overdue_items(row: ClientRow, today: date) -> list[str]:
    items = []
    for a in row.assessments:
        if a.due.overdue:
            items.append(f"{a.reference} ({a.status_label}): {a.due.label}")
        if a.status in (Assessment.SCOPING, Assessment.PREPARING) and a.target_date and a.target_date < today:
            items.append(f"{a.reference}: target date {a.target_date:%d %b %Y} has passed")
    for m in row.marks:
        if m.review_due and m.status in (TrustMark.ACTIVE, TrustMark.SUSPENDED):
            items.append(f"{m.mark_id}: annual review due")
    if row.marks and row.marks[0].status == TrustMark.EXPIRED:
        items.append(f"{row.marks[0].mark_id}: expired on {row.marks[0].expires:%d %b %Y}, not renewed")
    return items


def client_rows(
    *, user: User, active_organisation_id: int | None = None, today: date | None = None
) -> list[ClientRow]:
    """Every organisation ``user`` belongs to, with its marks, open assessments, latest workflow
    scores and overdue items (four queries in all)."""
    today = today or sla.today()
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .defer("organisation__brand_logo")
        .order_by("organisation__name", "organisation_id")
    )
    org_ids = [m.organisation_id for m in memberships]
    if not org_ids:
        return []
    marks = _marks_by_org(org_ids, today)
    assessments = _assessments_by_org(org_ids)
    workflows = _workflows_by_org(org_ids)
    rows = []
    for m in memberships:
        row = ClientRow(
            organisation=m.organisation,
            role=m.get_role_display(),
            is_active=m.organisation_id == active_organisation_id,
            marks=marks.get(m.organisation_id, []),
            assessments=assessments.get(m.organisation_id, []),
            workflows=workflows.get(m.organisation_id, []),
        )
        row.overdue = _overdue_items(row, today)
        rows.append(row)
    return rows


def _sort_key(sort: str) -> Callable[[ClientRow], Any]:
    far = date.max
    if sort == "expiry":
        return lambda r: (r.next_expiry or far, r.name.lower())
    if sort == "score":
        return lambda r: (r.lowest_score is None, r.lowest_score or 0.0, r.name.lower())
    if sort == "overdue":
        return lambda r: (-len(r.overdue), r.name.lower())
    return lambda r: r.name.lower()


def clients_filtered(rows: list[ClientRow], filters: ClientFilters) -> list[ClientRow]:
    """The rows that pass ``filters``, in its sort order."""
    out = rows
    if filters.q:
        q = filters.q.lower()
        out = [r for r in out if q in r.name.lower() or q in r.brand_name.lower() or q in r.organisation.slug]
    if filters.overdue:
        out = [r for r in out if r.overdue]
    if filters.mark:
        out = [r for r in out if r.mark_state == filters.mark]
    return sorted(out, key=_sort_key(filters.sort))
