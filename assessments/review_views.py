"""Assessor pages: the review queue, accepting and scoping applications, claiming, scoring,
clarifications and the decision. Every action goes through ``assessments.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import assessor_required
from accounts.models import User
from lib.errors import DomainError
from psf.rubric import EVIDENCE_TYPE_LABELS

from . import services
from .access import access_assessment_for_assessor
from .forms import AssignForm, ClarifyForm, DecideForm, ScopeForm, checklist_from_post, scores_from_post
from .models import Assessment
from .policy import policy
from .selectors import (
    QUEUE_GROUPS,
    QUEUE_SORTS,
    QueueFilters,
    activity_for_assessment,
    assessors,
    domain_rows,
    latest_submission,
    queue_counts,
    review_queue,
    sla_due_of,
    snapshot_view,
    steps_for,
)

QUEUE_LIMIT = 1000


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _refused(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


@require_GET
@assessor_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = QueueFilters.from_params(request.GET)
    rows = review_queue(user=user, filters=filters, limit=QUEUE_LIMIT)
    ctx = {
        "rows": rows,
        "filters": filters,
        "groups": [(k, label) for k, (label, _) in QUEUE_GROUPS.items()],
        "sorts": [(k, label) for k, (label, _) in QUEUE_SORTS.items()],
        "counts": queue_counts(),
        "assessor_list": assessors(),
        "limit": QUEUE_LIMIT,
        "token": get_token(request),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "assessments/review/_queue_rows.html", ctx)
    return render(request, "assessments/review/queue.html", ctx)


def _review_context(request: HttpRequest, a: Assessment) -> dict[str, Any]:
    user = _user(request)
    rubric = services.rubric_for(a)
    sub = latest_submission(assessment=a)
    assigned = a.assessor_id == user.pk
    see_submission = assigned or user.is_staff
    domains = (
        snapshot_view(assessment=a, rubric=rubric, snapshot=sub.snapshot)
        if sub is not None and see_submission
        else []
    )
    preview = (
        services.decision_preview(assessment=a)
        if a.status == Assessment.IN_REVIEW or a.scores.exists()
        else None
    )
    return {
        "a": a,
        "due": sla_due_of(a),
        "steps": steps_for(a),
        "assigned": assigned,
        "see_submission": see_submission,
        "sub": sub,
        "domains": domains,
        "preview": preview,
        "can_score": assigned and a.status == Assessment.IN_REVIEW,
        "clarifications": list(a.clarifications.select_related("asked_by", "answered_by")),
        "activity": activity_for_assessment(assessment=a, limit=30),
        "assign_form": AssignForm(candidates=assessors(exclude_organisation_id=a.organisation_id))
        if user.is_staff and a.is_open
        else None,
        "clarify_form": ClarifyForm(),
        "scope": list(a.scope_workflows.order_by("name")),
        "submissions": list(a.submissions.only("number", "snapshot_hash", "created", "assessment_id")),
        "rubric": rubric,
        "levels_help": [(lv.score, lv.descriptor) for lv in rubric.all_criteria()[0].levels]
        if rubric.all_criteria()
        else [],
        "gap_report": getattr(a, "gap_report", None) if a.status == Assessment.FAILED else None,
    }


@require_GET
@assessor_required
def review_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_assessor(request, assessment_id)
    return render(request, "assessments/review/detail.html", _review_context(request, a))


@require_POST
@assessor_required
def accept_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_assessor(request, assessment_id)
    try:
        services.assessment_accept(assessment=a, actor=_user(request))
    except DomainError as exc:
        _refused(request, exc)
        return redirect("assessments:review", assessment_id=a.pk)
    messages.success(
        request, f"You accepted {a.reference}. Agree the scope, timeline and evidence checklist."
    )
    return redirect("assessments:review_scope", assessment_id=a.pk)


@require_http_methods(["GET", "POST"])
@assessor_required
def scope_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_assessor(request, assessment_id)
    rubric = services.rubric_for(a)
    initial = {
        "scope_summary": a.scope_summary or a.systems_description[:5000],
        "timeline": a.timeline,
        "target_date": a.target_date,
        "workflows": list(a.scope_workflows.all()),
    }
    form = ScopeForm(request.POST or None, assessment=a, initial=initial)
    checklist = {row["criterion"]: row for row in (a.checklist or services.checklist_default(rubric))}
    status = 200
    if request.method == "POST":
        posted = checklist_from_post(rubric, request.POST)
        checklist = {row["criterion"]: row for row in posted}
        if form.is_valid():
            try:
                services.assessment_scope(
                    assessment=a,
                    actor=_user(request),
                    workflows=form.cleaned_data["workflows"],
                    scope_summary=form.cleaned_data["scope_summary"],
                    timeline=form.cleaned_data["timeline"],
                    target_date=form.cleaned_data["target_date"],
                    checklist=posted,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                for e in exc.errors[:10]:
                    if e.path in form.fields:
                        form.add_error(e.path, e.message)
                status = 400 if exc.status < 500 else exc.status
            else:
                messages.success(
                    request,
                    f"Scope of {a.reference} recorded; the organisation can now map workflows and attach evidence.",
                )
                return redirect("assessments:review", assessment_id=a.pk)
        else:
            status = 400
    domains = [
        {
            "code": d.code,
            "name": d.name,
            "criteria": [
                {
                    "code": c.code,
                    "title": c.title,
                    "selected": set(checklist.get(c.code, {}).get("evidence", [])),
                    "note": checklist.get(c.code, {}).get("note", ""),
                    "defaults": set(c.evidence),
                }
                for c in d.criteria
            ],
        }
        for d in rubric.domains
    ]
    return render(
        request,
        "assessments/review/scope.html",
        {
            "a": a,
            "form": form,
            "domains": domains,
            "evidence_types": list(EVIDENCE_TYPE_LABELS.items()),
            "track": policy().track(a.expedited),
        },
        status=status,
    )


@require_POST
@assessor_required
def claim_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_assessor(request, assessment_id)
    try:
        services.assessment_claim(assessment=a, actor=_user(request))
    except DomainError as exc:
        _refused(request, exc)
        return redirect(
            "assessments:queue"
            if request.POST.get("from") == "queue"
            else reverse("assessments:review", args=[a.pk])
        )
    messages.success(request, f"You are reviewing {a.reference}.")
    return redirect("assessments:review", assessment_id=a.pk)


@require_POST
@assessor_required
def assign_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_assessor(request, assessment_id)
    form = AssignForm(request.POST, candidates=assessors(exclude_organisation_id=a.organisation_id))
    if not form.is_valid():
        messages.error(request, "Choose an assessor without a conflict of interest.")
    else:
        try:
            services.assessment_assign(
                assessment=a, actor=_user(request), assessor=form.cleaned_data["assessor"]
            )
        except DomainError as exc:
            _refused(request, exc)
        else:
            messages.success(
                request, f"{a.reference} is assigned to {form.cleaned_data['assessor'].display_name}."
            )
    return redirect("assessments:review", assessment_id=a.pk)


@require_POST
@assessor_required
def scores_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_assessor(request, assessment_id)
    rubric = services.rubric_for(a)
    scores, problems = scores_from_post(rubric, request.POST)
    if problems:
        messages.error(request, "Some scores are not valid: " + "; ".join(problems[:5]))
        return redirect("assessments:review", assessment_id=a.pk)
    try:
        services.criterion_scores_save(assessment=a, actor=_user(request), scores=scores)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("assessments:review", assessment_id=a.pk)
    preview = services.decision_preview(assessment=a)
    if "decide" in request.POST:
        return redirect("assessments:review_decide", assessment_id=a.pk)
    if preview.complete:
        messages.success(
            request, f"Scores saved. Every criterion is scored; the pass rule gives “{preview.outcome}”."
        )
    else:
        messages.success(request, f"Scores saved. {len(preview.missing)} criteria still to score.")
    return redirect(f"{reverse('assessments:review', args=[a.pk])}#scoring")


@require_POST
@assessor_required
def clarify_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_assessor(request, assessment_id)
    form = ClarifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the questions the organisation should answer.")
        return redirect("assessments:review", assessment_id=a.pk)
    try:
        services.assessment_clarification_request(
            assessment=a, actor=_user(request), questions=form.cleaned_data["questions"]
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            f"Questions sent to {a.organisation.name}; the review clock is paused until they resubmit.",
        )
    return redirect("assessments:review", assessment_id=a.pk)


@require_http_methods(["GET", "POST"])
@assessor_required
def decide_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Show the decision the pass rule computes; confirm it, or override it with a written reason."""
    a = access_assessment_for_assessor(request, assessment_id)
    preview = services.decision_preview(assessment=a)
    form = DecideForm(request.POST or None, initial={"outcome": preview.outcome})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                decided = services.assessment_decide(
                    assessment=a,
                    actor=_user(request),
                    outcome=form.cleaned_data["outcome"],
                    override_reason=form.cleaned_data["override_reason"],
                )
            except DomainError as exc:
                form.add_error(
                    "override_reason" if any(e.path == "override_reason" for e in exc.errors) else None,
                    exc.message,
                )
                status = 400 if exc.status < 500 else exc.status
            else:
                if decided.status == Assessment.PASSED:
                    messages.success(
                        request,
                        f"{a.reference} passed{' (override)' if decided.decision_overridden else ''}. The trust mark is issued.",
                    )
                else:
                    messages.success(
                        request,
                        f"{a.reference} did not pass{' (override)' if decided.decision_overridden else ''}. The gap report is ready for the organisation.",
                    )
                return redirect("assessments:review", assessment_id=a.pk)
        else:
            status = 400
    rubric = services.rubric_for(a)
    domains = domain_rows(assessment=a, rubric=rubric, scores=preview.domain_scores)
    return render(
        request,
        "assessments/review/decide.html",
        {
            "a": a,
            "preview": preview,
            "form": form,
            "domains": domains,
            "rule": rubric.pass_rule,
            "can_decide": a.status == Assessment.IN_REVIEW and a.assessor_id == _user(request).pk,
            "min_reason": policy().override_reason_min_length,
        },
        status=status,
    )
