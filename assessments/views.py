"""Organisation pages of the Deployment Safety Assessment: apply, prepare evidence, submit,
answer clarifications, read the outcome. Plain forms everywhere; htmx only enhances."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import active_membership, login_required_page, member_required, require_membership
from accounts.models import User
from lib.errors import DomainError
from psf.selectors import rubric_version_current

from . import services, sla, storage
from .access import access_assessment_for_member, access_confidential, access_evidence_item
from .evidence_kinds import evidence_kind
from .forms import (
    AddScopeWorkflowForm,
    AnswerForm,
    ApplyForm,
    EvidenceForm,
    MapFromTemplateForm,
    WithdrawForm,
)
from .gap_report import gap_report_context, gap_report_pdf_bytes
from .models import Assessment, Clarification
from .policy import policy
from .selectors import (
    activity_for_assessment,
    activity_for_organisation,
    assessment_list,
    domain_rows,
    latest_submission,
    open_assessment,
    scope_rows,
    sla_due_of,
    steps_for,
    working_view,
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _refused(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


def pricing_rows(size_tier: str | None = None) -> list[dict[str, Any]]:
    from accounts.models import Organisation

    p = policy()
    rows = []
    for code, label in Organisation.SIZE_TIERS:
        rows.append(
            {
                "code": code,
                "label": label,
                "standard": p.price(code, False),
                "expedited": p.price(code, True),
                "current": code == size_tier,
            }
        )
    return rows


# --- list and apply ---------------------------------------------------------------------------------


@require_GET
@member_required()
def assessment_index(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    org = membership.organisation
    assessments = list(assessment_list(organisation=org))
    rows = [{"a": a, "due": sla_due_of(a)} for a in assessments]
    return render(
        request,
        "assessments/index.html",
        {
            "rows": rows,
            "open": open_assessment(organisation=org),
            "is_admin": membership.is_admin,
            "activity": activity_for_organisation(organisation=org, limit=15),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required(admin=True)
def assessment_apply_view(request: HttpRequest) -> HttpResponse:
    org = require_membership(request, admin=True).organisation
    form = ApplyForm(request.POST or None, initial={"size_tier": org.size_tier})
    if request.method == "POST" and form.is_valid():
        try:
            a = services.assessment_apply(
                organisation=org,
                actor=_user(request),
                systems_description=form.cleaned_data["systems_description"],
                size_tier=form.cleaned_data["size_tier"],
                expedited=form.cleaned_data["expedited"],
            )
        except DomainError as exc:
            for e in exc.errors:
                form.add_error(e.path if e.path in form.fields else None, e.message)
            if not exc.errors:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Application {a.reference} sent. An assessor will acknowledge it by {a.acknowledge_due:%A %d %B}.",
            )
            return redirect("assessments:detail", assessment_id=a.pk)
    p = policy()
    return render(
        request,
        "assessments/apply.html",
        {
            "form": form,
            "open": open_assessment(organisation=org),
            "tracks": [("standard", p.tracks.standard), ("expedited", p.tracks.expedited)],
            "pricing": pricing_rows(org.size_tier),
            "policy": p,
            "rubric": rubric_version_current(),
        },
        status=400 if form.errors else 200,
    )


# --- one assessment ---------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, a: Assessment) -> dict[str, Any]:
    membership = require_membership(request)
    return {
        "a": a,
        "due": sla_due_of(a),
        "steps": steps_for(a),
        "is_admin": membership.is_admin,
        "clarifications": list(a.clarifications.select_related("asked_by", "answered_by")),
        "submissions": list(
            a.submissions.select_related("submitted_by").only(
                "number", "snapshot_hash", "created", "submitted_by", "assessment_id"
            )
        ),
        "activity": activity_for_assessment(assessment=a, limit=30),
        "evidence_count": a.evidence.filter(removed_at__isnull=True).count(),
        "scope": list(a.scope_workflows.order_by("name")),
        "gap_report": getattr(a, "gap_report", None) if a.status == Assessment.FAILED else None,
        "reassessment": Assessment.objects.filter(reassessment_of=a).first(),
        "can_reassess": a.status == Assessment.FAILED and a.reassessment_deadline is not None,
        "policy": policy(),
        "today": sla.today(),
        "domain_rows": domain_rows(assessment=a, rubric=services.rubric_for(a)),
    }


@require_GET
@member_required()
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id)
    return render(request, "assessments/detail.html", _detail_context(request, a))


@require_GET
@member_required()
def assessment_evidence(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id)
    rubric = services.rubric_for(a)
    editable = a.status in (Assessment.PREPARING, Assessment.CLARIFICATION)
    return render(
        request,
        "assessments/evidence.html",
        {
            "a": a,
            "steps": steps_for(a),
            "domains": working_view(assessment=a, rubric=rubric),
            "scope_rows": scope_rows(assessment=a),
            "editable": editable,
            "is_admin": require_membership(request).is_admin,
            "add_scope_form": AddScopeWorkflowForm(assessment=a) if editable else None,
            "map_form": MapFromTemplateForm() if editable else None,
            "open_clarifications": list(a.clarifications.filter(answered_at__isnull=True)),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required()
def evidence_add_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id)
    rubric = services.rubric_for(a)
    initial = {"criterion": request.GET.get("criterion", ""), "kind": request.GET.get("kind", "file")}
    form = EvidenceForm(
        request.POST or None, request.FILES or None, assessment=a, rubric=rubric, initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            try:
                item = services.evidence_add(
                    assessment=a,
                    actor=_user(request),
                    criterion=form.cleaned_data["criterion"],
                    kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"],
                    note=form.cleaned_data["note"],
                    upload=services.Upload(upload.name or "", upload.file, upload.size) if upload else None,
                    url=form.cleaned_data["url"],
                    ref=form.ref_value(),
                )
            except DomainError as exc:
                path = exc.errors[0].path if exc.errors else ""
                field = {"ref": f"ref_{form.cleaned_data['kind']}"}.get(path, path)
                form.add_error(field if field in form.fields else None, exc.message)
                status = exc.status if exc.status in (400, 409, 413, 503, 507) else 400
            else:
                messages.success(request, f"Attached “{item.title}” to {item.criterion}.")
                if "add_another" in request.POST:
                    return redirect(
                        f"{reverse('assessments:evidence_add', args=[a.pk])}?criterion={item.criterion}"
                    )
                return redirect(f"{reverse('assessments:evidence', args=[a.pk])}#{item.criterion}")
        else:
            status = 400
    criterion = rubric.criterion(form["criterion"].value() or "")
    return render(
        request,
        "assessments/evidence_add.html",
        {
            "a": a,
            "form": form,
            "criterion": criterion,
            "editable": a.status in (Assessment.PREPARING, Assessment.CLARIFICATION),
        },
        status=status,
    )


@require_POST
@member_required()
def evidence_remove_view(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id)
    item = a.evidence.filter(pk=item_id).first()
    if item is None:
        raise Http404("No such evidence.")
    try:
        services.evidence_remove(item=item, actor=_user(request))
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"Removed “{item.title}” from {item.criterion}.")
    return _back(request, f"{reverse('assessments:evidence', args=[a.pk])}#{item.criterion}")


@never_cache
@require_GET
@login_required_page
def evidence_download(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    """Serve an uploaded file as an attachment, after checking access and its SHA-256."""
    _, item = access_evidence_item(request, assessment_id, item_id)
    return evidence_file_response(request, item)


def evidence_file_response(request: HttpRequest, item: Any) -> HttpResponse:
    """An evidence file (DSA or PAI-8: any row with ``kind``, ``storage_name``, ``sha256``,
    ``original_name``, ``content_type``) as an attachment, after checking its SHA-256. The caller
    has checked access."""
    if item.kind != "file" or not item.storage_name:
        raise Http404("This evidence is not a file.")
    try:
        fh = storage.open_verified(item.storage_name, item.sha256)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404("File not found.") from None
        titles = {"artefact_missing": "File missing", "artefact_changed": "File changed"}
        return render(
            request,
            "core/error.html",
            {"title": titles.get(exc.code, "Storage unavailable"), "message": exc.message},
            status=exc.status,
        )
    response: HttpResponse = FileResponse(  # type: ignore[assignment]
        fh,
        as_attachment=True,
        filename=item.original_name or "evidence",
        content_type=item.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["X-Evidence-SHA256"] = item.sha256
    return response


@require_GET
@login_required_page
def evidence_detail(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    """One evidence item, including what a workflow version or analysis reference contains."""
    a, item = access_evidence_item(request, assessment_id, item_id)
    ref: Any = None
    if item.kind == "workflow" and item.ref_id:
        from studio.models import WorkflowVersion

        ref = (
            WorkflowVersion.objects.select_related("workflow")
            .filter(pk=item.ref_id, workflow__organisation_id=a.organisation_id)
            .first()
        )
    elif item.kind == "analysis" and item.ref_id:
        from studio.models import Analysis

        ref = Analysis.objects.filter(pk=item.ref_id, organisation_id=a.organisation_id).first()
    try:
        kind_label = evidence_kind(item.kind).label
    except DomainError:
        kind_label = item.kind
    m = active_membership(request)
    is_member = m is not None and m.organisation_id == a.organisation_id
    return render(
        request,
        "assessments/evidence_detail.html",
        {"a": a, "item": item, "ref": ref, "kind_label": kind_label, "is_member": is_member},
    )


@require_POST
@member_required()
def scope_add_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id)
    form = AddScopeWorkflowForm(request.POST, assessment=a)
    if not form.is_valid():
        messages.error(request, "Choose one of your workflows that is not in scope yet.")
    else:
        try:
            services.scope_workflow_add(
                assessment=a, actor=_user(request), workflow=form.cleaned_data["workflow"]
            )
        except DomainError as exc:
            _refused(request, exc)
        else:
            messages.success(request, f"“{form.cleaned_data['workflow'].name}” is now in scope.")
    return redirect("assessments:evidence", assessment_id=a.pk)


@require_POST
@member_required()
def scope_map_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Map a new workflow from a DSA template in the studio and put it in scope, in one step."""
    from studio.services import workflow_from_template

    a = access_assessment_for_member(request, assessment_id)
    form = MapFromTemplateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a template and a name for the workflow.")
        return redirect("assessments:evidence", assessment_id=a.pk)
    if a.status not in (Assessment.PREPARING, Assessment.CLARIFICATION):
        messages.error(
            request,
            f"{a.reference} is “{a.get_status_display()}”; workflows can be added to the scope only while you prepare the evidence.",
        )
        return redirect("assessments:evidence", assessment_id=a.pk)
    try:
        wf = workflow_from_template(
            organisation=a.organisation,
            author=_user(request),
            slug=form.cleaned_data["template"],
            name=form.cleaned_data["name"],
        )
        services.scope_workflow_add(assessment=a, actor=_user(request), workflow=wf)
    except DomainError as exc:
        _refused(request, exc)
        return redirect("assessments:evidence", assessment_id=a.pk)
    messages.success(
        request, f"Mapped “{wf.name}” from the template and added it to the scope. Refine it in the studio."
    )
    return redirect("studio:editor", workflow_id=wf.pk)


@require_POST
@member_required()
def submit_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id, admin=True)
    try:
        sub = services.assessment_submit(assessment=a, actor=_user(request))
    except DomainError as exc:
        _refused(request, exc)
    else:
        a.refresh_from_db()
        messages.success(
            request,
            f"Submission {sub.number} frozen and sent for review; the review is due by {a.review_due:%A %d %B}.",
        )
    return redirect("assessments:detail", assessment_id=a.pk)


@require_POST
@member_required()
def withdraw_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id, admin=True)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.assessment_withdraw(assessment=a, actor=_user(request), reason=reason)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"{a.reference} was withdrawn.")
    return redirect("assessments:detail", assessment_id=a.pk)


@require_POST
@member_required()
def answer_view(request: HttpRequest, assessment_id: int, clarification_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id)
    clar = Clarification.objects.filter(pk=clarification_id, assessment=a).first()
    if clar is None:
        raise Http404("No such question.")
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write an answer before sending it.")
    else:
        try:
            services.clarification_answer(
                clarification=clar, actor=_user(request), answer=form.cleaned_data["answer"]
            )
        except DomainError as exc:
            _refused(request, exc)
        else:
            messages.success(request, "Answer saved. Update the evidence if needed, then resubmit.")
    return redirect("assessments:detail", assessment_id=a.pk)


@require_POST
@member_required()
def reassess_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_assessment_for_member(request, assessment_id, admin=True)
    try:
        new = services.assessment_reassessment_open(assessment=a, actor=_user(request))
    except DomainError as exc:
        _refused(request, exc)
        return redirect("assessments:detail", assessment_id=a.pk)
    messages.success(
        request, f"Reassessment {new.reference} opened with the agreed scope and your evidence carried over."
    )
    return redirect("assessments:detail", assessment_id=new.pk)


# --- submissions and gap reports (organisation and assessor) ----------------------------------------


def _home_of(request: HttpRequest, a: Assessment) -> str:
    """Where “back” goes on pages both sides read: the organisation's page or the review page."""
    m = active_membership(request)
    if m is not None and m.organisation_id == a.organisation_id:
        return reverse("assessments:detail", args=[a.pk])
    return reverse("assessments:review", args=[a.pk])


@require_GET
@login_required_page
def submission_view(request: HttpRequest, assessment_id: int, number: int) -> HttpResponse:
    a = access_confidential(request, assessment_id)
    sub = a.submissions.filter(number=number).select_related("submitted_by").first()
    if sub is None:
        raise Http404("No such submission.")
    from .selectors import snapshot_view

    domains = snapshot_view(assessment=a, rubric=services.rubric_for(a), snapshot=sub.snapshot)
    latest = latest_submission(assessment=a)
    return render(
        request,
        "assessments/submission.html",
        {
            "a": a,
            "sub": sub,
            "domains": domains,
            "snapshot": sub.snapshot,
            "is_latest": latest is not None and latest.pk == sub.pk,
            "home": _home_of(request, a),
        },
    )


def _gap_report_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    a = access_confidential(request, assessment_id)
    if a.status != Assessment.FAILED or not hasattr(a, "gap_report"):
        raise Http404("This assessment has no gap report.")
    return a


@never_cache
@require_GET
@login_required_page
def gap_report_view(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = _gap_report_assessment(request, assessment_id)
    response = render(
        request, "assessments/gap_report.html", {**gap_report_context(a), "home": _home_of(request, a)}
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_GET
@login_required_page
def gap_report_pdf(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = _gap_report_assessment(request, assessment_id)
    pdf = gap_report_pdf_bytes(a)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{a.reference}-gap-report.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
