"""Pages of the organisation path: /inventory/ and /governance/ (PAI-8 self-assessment)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import assessor_required, member_required, request_user, require_membership
from lib.errors import DomainError, ErrorItem
from studio.models import Workflow

from . import evidence as pai8_evidence
from . import inventory as inv
from . import services
from .access import access_action, access_pai8, access_pai8_for_audit, access_system
from .forms import AISystemForm, ImportForm, ImprovementActionForm, Pai8EvidenceForm
from .models import AISystem, Pai8Assessment
from .proposals import proposals
from .report import history_chart, report_data
from .selectors import InventoryFilter, inventory_list, open_actions, pai8_history, review_queue

IMPORT_SALT = "governance.inventory-import"
INVENTORY_PAGE_SIZE = 100


def _workflows(org_id: int) -> Any:
    return Workflow.objects.filter(organisation_id=org_id, deleted_at__isnull=True).order_by("name")


# -- inventory ---------------------------------------------------------------------------------


@require_GET
@member_required()
def inventory(request: HttpRequest) -> HttpResponse:
    m = require_membership(request)
    f = InventoryFilter.from_query(request.GET)
    # A page at a time: 2,000 rows would take half a second to render (bench/pai8.py). Two
    # queries (count, page) plus the prefetch of the page's workflows, whatever the size.
    page = Paginator(inventory_list(organisation=m.organisation, f=f), INVENTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "governance/inventory.html",
        {
            "m": m,
            "page": page,
            "systems": list(page.object_list),
            "query": params.urlencode(),
            "f": f,
            "statuses": AISystem.STATUSES,
            "risk_tiers": AISystem.RISK_TIERS,
            "eu_classes": AISystem.EU_RISK_CLASSES,
        },
    )


def _system_form(request: HttpRequest, system: AISystem | None) -> HttpResponse:
    m = require_membership(request)
    form = AISystemForm(request.POST or None, instance=system, workflows=_workflows(m.organisation_id))
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "workflows"}
        try:
            saved = services.ai_system_save(
                organisation=m.organisation,
                actor=request_user(request),
                values=values,
                workflows=form.cleaned_data["workflows"],
                system=system,
            )
        except DomainError as exc:
            for item in exc.errors:
                form.add_error(item.path if item.path in form.fields else None, item.message)
        else:
            messages.success(request, f"“{saved.name}” saved.")
            return redirect("governance:system", system_id=saved.pk)
    return render(
        request,
        "governance/system_form.html",
        {"form": form, "system": system, "m": m},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_required()
def system_new(request: HttpRequest) -> HttpResponse:
    return _system_form(request, None)


@require_http_methods(["GET", "POST"])
@member_required()
def system_edit(request: HttpRequest, system_id: int) -> HttpResponse:
    return _system_form(request, access_system(request, system_id))


@require_GET
@member_required()
def system_detail(request: HttpRequest, system_id: int) -> HttpResponse:
    from studio.models import Analysis, WorkflowVersion

    system = access_system(request, system_id)
    workflows = list(system.workflows.filter(deleted_at__isnull=True).order_by("name"))
    heads = {
        v.workflow_id: v
        for v in WorkflowVersion.objects.filter(
            workflow__in=workflows, number=F("workflow__head_number")
        ).only("workflow_id", "number", "content_hash")
    }
    analyses = {
        a.content_hash: a
        for a in Analysis.objects.filter(
            organisation_id=system.organisation_id,
            content_hash__in=[v.content_hash for v in heads.values()],
            rubric_version__is_current=True,
        )
    }
    rows = []
    for w in workflows:
        head = heads.get(w.pk)
        rows.append({"workflow": w, "analysis": analyses.get(head.content_hash) if head else None})
    from simulations.models import SimulationRun
    from trustmarks.models import TrustMark

    runs = SimulationRun.objects.filter(workflow__in=workflows).order_by("-created")[:5]
    from assessments.models import Assessment

    assessments = list(
        Assessment.objects.filter(organisation_id=system.organisation_id, scope_workflows__in=workflows)
        .distinct()
        .order_by("-pk")[:5]
    )
    marks = TrustMark.objects.filter(assessment__in=assessments)
    return render(
        request,
        "governance/system_detail.html",
        {
            "system": system,
            "rows": rows,
            "runs": runs,
            "assessments": assessments,
            "marks": marks,
            "m": require_membership(request),
        },
    )


@require_POST
@member_required()
def system_delete(request: HttpRequest, system_id: int) -> HttpResponse:
    system = access_system(request, system_id)  # 404 for another organisation's, before the role
    require_membership(request, admin=True)
    services.ai_system_delete(system=system, actor=request_user(request))
    messages.success(request, f"“{system.name}” removed from the inventory.")
    return redirect("governance:inventory")


def _export_rows(request: HttpRequest) -> list[AISystem]:
    m = require_membership(request)
    return list(inventory_list(organisation=m.organisation, f=InventoryFilter.from_query(request.GET)))


@require_GET
@member_required()
def inventory_csv(request: HttpRequest) -> HttpResponse:
    m = require_membership(request)
    resp = HttpResponse(inv.to_csv(_export_rows(request)), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="ai-inventory-{m.organisation.slug}.csv"'
    return resp


@require_GET
@member_required()
def inventory_json(request: HttpRequest) -> HttpResponse:
    m = require_membership(request)
    resp = HttpResponse(inv.to_json(_export_rows(request)), content_type="application/json")
    resp["Content-Disposition"] = f'attachment; filename="ai-inventory-{m.organisation.slug}.json"'
    return resp


@require_http_methods(["GET", "POST"])
@member_required(admin=True)
def inventory_import(request: HttpRequest) -> HttpResponse:
    """Upload → a per-row report (nothing saved) → confirm to keep the valid rows."""
    m = require_membership(request)
    signer = signing.TimestampSigner(salt=IMPORT_SALT)
    if request.method == "POST" and "confirm" in request.POST:
        try:
            rows = json.loads(signer.unsign(request.POST.get("confirm", ""), max_age=3600))
        except (signing.BadSignature, ValueError):
            messages.error(request, "This import expired or was altered. Upload the file again.")
            return redirect("governance:inventory_import")
        if rows.get("org") != m.organisation_id:
            messages.error(request, "This import belongs to another organisation. Upload the file again.")
            return redirect("governance:inventory_import")
        reports = inv.check_rows(rows["rows"])
        created, updated = services.inventory_import(
            organisation=m.organisation, actor=request_user(request), reports=reports
        )
        messages.success(
            request,
            f"Imported: {created} new, {updated} updated, {sum(1 for r in reports if not r.ok)} refused.",
        )
        return redirect("governance:inventory")
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > inv.MAX_IMPORT_BYTES:
            form.add_error("file", "The file is larger than 2 MB.")
        else:
            try:
                rows = inv.parse_import(upload.read(inv.MAX_IMPORT_BYTES + 1), filename=upload.name)
            except inv.ImportError_ as exc:
                form.add_error("file", str(exc))
            else:
                existing = set(
                    n.casefold()
                    for n in AISystem.objects.filter(organisation=m.organisation).values_list(
                        "name", flat=True
                    )
                )
                reports = inv.check_rows(rows)
                # Said once above the rows too: one misnamed column refuses every row.
                unknown = sorted({str(k)[:40] for r in rows for k in r if k not in inv.COLUMNS})
                context.update(
                    unknown_columns=unknown[:20],
                    known_columns=list(inv.COLUMNS),
                    reports=reports,
                    existing=existing,
                    valid=sum(1 for r in reports if r.ok),
                    confirm=signer.sign(json.dumps({"org": m.organisation_id, "rows": rows})),
                )
    if form.errors:
        status = 400
    return render(request, "governance/import.html", context, status=status)


# -- PAI-8 self-assessment ---------------------------------------------------------------------


@require_GET
@member_required()
def governance_home(request: HttpRequest) -> HttpResponse:
    m = require_membership(request)
    history = pai8_history(organisation=m.organisation)
    draft = Pai8Assessment.objects.filter(organisation=m.organisation, status=Pai8Assessment.DRAFT).first()
    latest = history[-1] if history else None
    fw = services.framework_of(latest) if latest else None
    actions = list(open_actions(organisation=m.organisation))
    controls = []
    if latest and fw:
        levels = (
            latest.audited_control_levels
            if latest.status == Pai8Assessment.AUDITED
            else latest.control_levels
        )
        controls = [(c, levels.get(c.code)) for c in fw.controls]
    return render(
        request,
        "governance/home.html",
        {
            "m": m,
            "history": history,
            "draft": draft,
            "latest": latest,
            "fw": fw,
            "controls": controls,
            "actions": actions,
            "chart": history_chart(history),
            "today": timezone.localdate(),
        },
    )


@require_POST
@member_required(admin=True)
def pai8_start(request: HttpRequest) -> HttpResponse:
    m = require_membership(request)
    try:
        a = services.pai8_assessment_start(organisation=m.organisation, actor=request_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("governance:home")
    return redirect("governance:assessment", assessment_id=a.pk)


def _posted_answers(request: HttpRequest, codes: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for code in codes:
        raw = request.POST.get(f"{code}-level", "")
        level: Any = int(raw) if raw.isdigit() else (raw or None)
        out[code] = {
            "level": level,
            "justification": request.POST.get(f"{code}-justification", ""),
            "evidence": request.POST.get(f"{code}-evidence", ""),
            "owner": request.POST.get(f"{code}-owner", ""),
        }
    return out


@require_http_methods(["GET", "POST"])
@member_required()
def pai8_assessment(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_pai8(request, assessment_id)
    m = require_membership(request)
    fw = services.framework_of(a)
    codes = [p.code for p in fw.all_checkpoints()]
    errors: list[ErrorItem] = []
    posted: dict[str, dict[str, Any]] = {}
    if request.method == "POST":
        posted = _posted_answers(request, codes)
        try:
            errors = services.pai8_answers_save(assessment=a, actor=request_user(request), answers=posted)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("governance:assessment", assessment_id=a.pk)
        if not errors:
            if request.POST.get("complete") and m.is_admin:
                try:
                    services.pai8_assessment_complete(assessment=a, actor=request_user(request))
                except DomainError as exc:
                    messages.error(request, exc.message)
                    return redirect("governance:assessment", assessment_id=a.pk)
                messages.success(request, "Self-assessment completed: the posture is rated.")
                return redirect("governance:home")
            messages.success(request, "Saved.")
            return redirect(f"{request.path}#{request.POST.get('anchor', '')[:10]}")
    answers = {x.checkpoint: x for x in a.answers.all()}
    error_map: dict[str, list[str]] = {}
    for e in errors:
        code = e.path.rpartition(".")[0] if e.path.count(".") >= 2 else e.path
        # The message names what is wrong ("a level needs a justification"): a sentence, no path.
        error_map.setdefault(code, []).append(e.message[:1].upper() + e.message[1:] + ".")
    # Gathered once for the organisation (a fixed number of queries), then matched per checkpoint.
    found = proposals(fw, a.organisation) if a.status == Pai8Assessment.DRAFT else {}
    attached = pai8_evidence.evidence_by_checkpoint(a)
    sections = []
    for c in fw.controls:
        items = []
        for p in c.checkpoints:
            ans = answers.get(p.code)
            sent = posted.get(p.code)
            items.append(
                {
                    "p": p,
                    "answer": ans,
                    "proposals": found.get(p.code, []),
                    "attached": attached.get(p.code, []),
                    "level": (sent or {}).get("level", ans.level if ans else None),
                    "justification": (sent or {}).get("justification", ans.justification if ans else ""),
                    "evidence": (sent or {}).get("evidence", ans.evidence if ans else ""),
                    "owner": (sent or {}).get("owner", ans.owner if ans else ""),
                    "errors": error_map.get(p.code, []),
                }
            )
        sections.append((c, items))
    posture = fw.posture({k: v.level for k, v in answers.items()})
    return render(
        request,
        "governance/assessment.html",
        {
            "a": a,
            "fw": fw,
            "m": m,
            "sections": sections,
            "posture": posture,
            "answered": len(answers),
            "total": len(codes),
            "proposals": found,
            "levels": fw.levels,
            "editable": a.status == Pai8Assessment.DRAFT,
            "attachable": pai8_evidence.ATTACHABLE,
        },
        status=400 if errors else 200,
    )


# -- evidence on checkpoints --------------------------------------------------------------------


def _checkpoint_or_404(a: Pai8Assessment, code: str) -> Any:
    p = services.framework_of(a).checkpoint(code)
    if p is None:
        raise Http404("No such checkpoint.")
    return p


def _back_to(a: Pai8Assessment, code: str) -> HttpResponse:
    return redirect(f"{reverse('governance:assessment', args=[a.pk])}#cp-{code}")


@require_http_methods(["GET", "POST"])
@member_required()
def pai8_evidence_add(request: HttpRequest, assessment_id: int, code: str) -> HttpResponse:
    from assessments.services import Upload

    a = access_pai8(request, assessment_id)
    p = _checkpoint_or_404(a, code)
    editable = a.status == Pai8Assessment.DRAFT
    form = Pai8EvidenceForm(
        request.POST or None,
        request.FILES or None,
        scope=pai8_evidence.scope_of(a),
        initial={"kind": request.GET.get("kind", "file")},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            try:
                item = pai8_evidence.pai8_evidence_add(
                    assessment=a,
                    actor=request_user(request),
                    checkpoint=p.code,
                    kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"],
                    note=form.cleaned_data["note"],
                    upload=Upload(upload.name or "", upload.file, upload.size) if upload else None,
                    url=form.cleaned_data["url"],
                    ref=form.ref_value(),
                )
            except DomainError as exc:
                path = exc.errors[0].path if exc.errors else ""
                field = {"ref": f"ref_{form.cleaned_data['kind']}"}.get(path, path)
                form.add_error(field if field in form.fields else None, exc.message)
                status = exc.status if exc.status in (400, 409, 413, 503, 507) else 400
            else:
                messages.success(request, f"Attached “{item.title}” to {item.checkpoint}.")
                return _back_to(a, p.code)
        else:
            status = 400
    return render(
        request,
        "governance/evidence_add.html",
        {"a": a, "p": p, "form": form, "editable": editable},
        status=status,
    )


@require_POST
@member_required()
def pai8_evidence_attach(request: HttpRequest, assessment_id: int, code: str) -> HttpResponse:
    a = access_pai8(request, assessment_id)
    p = _checkpoint_or_404(a, code)
    try:
        added = pai8_evidence.pai8_evidence_attach_proposal(
            assessment=a,
            actor=request_user(request),
            checkpoint=p.code,
            proposal=request.POST.get("proposal", "")[:40],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if added:
            messages.success(request, f"Attached {len(added)} item(s) of evidence to {p.code}.")
        else:
            messages.info(request, f"Already attached to {p.code}.")
    return _back_to(a, p.code)


@require_POST
@member_required()
def pai8_evidence_remove(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    a = access_pai8(request, assessment_id)
    item = a.evidence_items.filter(pk=item_id).first()
    if item is None:
        raise Http404("No such evidence.")
    try:
        pai8_evidence.pai8_evidence_remove(item=item, actor=request_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Removed “{item.title}” from {item.checkpoint}.")
    return _back_to(a, item.checkpoint)


@never_cache
@require_GET
@member_required()
def pai8_evidence_download(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    from assessments.views import evidence_file_response

    a = access_pai8(request, assessment_id)
    item = a.evidence_items.filter(pk=item_id, removed_at__isnull=True).first()
    if item is None:
        raise Http404("No such evidence.")
    return evidence_file_response(request, item)


@require_POST
@member_required()
def pai8_submit(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_pai8(request, assessment_id)  # 404 for another organisation's, before the role
    require_membership(request, admin=True)
    try:
        services.pai8_assessment_submit(assessment=a, actor=request_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Submitted for review by an independent assessor.")
    return redirect("governance:home")


@require_GET
@member_required()
def pai8_report_json(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_pai8(request, assessment_id)
    if a.status == Pai8Assessment.DRAFT:
        return HttpResponse(
            json.dumps({"detail": "A draft has no report yet; complete it first."}),
            status=409,
            content_type="application/json",
        )
    resp = HttpResponse(
        json.dumps(report_data(a), indent=2, ensure_ascii=False), content_type="application/json"
    )
    resp["Content-Disposition"] = f'attachment; filename="pai8-{a.organisation.slug}-{a.reference}.json"'
    return resp


@require_GET
@member_required()
def pai8_report_pdf(request: HttpRequest, assessment_id: int) -> HttpResponse:
    from .report import report_pdf

    a = access_pai8(request, assessment_id)
    if a.status == Pai8Assessment.DRAFT:
        messages.error(request, "A draft has no report yet; complete it first.")
        return redirect("governance:assessment", assessment_id=a.pk)
    resp = HttpResponse(report_pdf(a), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="pai8-{a.organisation.slug}-{a.reference}.pdf"'
    resp["Cache-Control"] = "private, no-store"
    return resp


# -- improvement plan --------------------------------------------------------------------------


def _controls_choices(request: HttpRequest) -> list[tuple[str, str]]:
    from psf.selectors import maturity_of, pai8_version_get

    rv = pai8_version_get()
    if rv is None:
        return []
    return [(c.code, f"{c.code} {c.name}") for c in maturity_of(rv).controls]


@require_http_methods(["GET", "POST"])
@member_required()
def action_edit(request: HttpRequest, action_id: int | None = None) -> HttpResponse:
    m = require_membership(request)
    row = access_action(request, action_id) if action_id else None
    form = ImprovementActionForm(request.POST or None, instance=row, controls=_controls_choices(request))
    if request.method == "POST" and form.is_valid():
        latest = pai8_history(organisation=m.organisation)
        services.improvement_action_save(
            organisation=m.organisation,
            actor=request_user(request),
            assessment=row.assessment if row else (latest[-1] if latest else None),
            existing=row,
            **form.cleaned_data,
        )
        messages.success(request, "Improvement plan updated.")
        return redirect("governance:home")
    return render(
        request, "governance/action_form.html", {"form": form, "row": row}, status=400 if form.errors else 200
    )


# -- assessor review ---------------------------------------------------------------------------


@never_cache
@require_GET
@assessor_required
def review_evidence_download(request: HttpRequest, assessment_id: int, item_id: int) -> HttpResponse:
    from assessments.views import evidence_file_response

    a = access_pai8_for_audit(request, assessment_id)
    item = a.evidence_items.filter(pk=item_id, removed_at__isnull=True).first()
    if item is None:
        raise Http404("No such evidence.")
    return evidence_file_response(request, item)


@require_GET
@assessor_required
def review_list(request: HttpRequest) -> HttpResponse:
    from assessments.services import is_conflicted

    user = request_user(request)
    rows = [(a, is_conflicted(user, a.organisation_id)) for a in review_queue()]
    return render(request, "governance/review_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@assessor_required
def review(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = access_pai8_for_audit(request, assessment_id)
    fw = services.framework_of(a)
    answers = {x.checkpoint: x for x in a.answers.all()}
    attached = pai8_evidence.evidence_by_checkpoint(a)
    errors: dict[str, list[str]] = {}
    posted: dict[str, dict[str, Any]] = {}
    if request.method == "POST":
        for p in fw.all_checkpoints():
            raw = request.POST.get(f"{p.code}-level", "")
            posted[p.code] = {
                "level": int(raw) if raw.isdigit() else None,
                "comment": request.POST.get(f"{p.code}-comment", ""),
            }
        try:
            services.pai8_audit(assessment=a, assessor=request_user(request), decisions=posted)
        except DomainError as exc:
            if not exc.errors:
                messages.error(request, exc.message)
                return redirect("governance:review_list")
            for item in exc.errors:
                errors.setdefault(item.path.rsplit(".", 1)[0], []).append(item.message)
        else:
            messages.success(request, f"{a.reference} audited.")
            return redirect("governance:review_list")
    sections = [
        (
            c,
            [
                {
                    "p": p,
                    "answer": answers.get(p.code),
                    "level": (posted.get(p.code) or {}).get(
                        "level", answers[p.code].level if p.code in answers else None
                    ),
                    "comment": (posted.get(p.code) or {}).get("comment", ""),
                    "attached": attached.get(p.code, []),
                    "errors": errors.get(p.code, []),
                }
                for p in c.checkpoints
            ],
        )
        for c in fw.controls
    ]
    return render(
        request,
        "governance/review.html",
        {
            "a": a,
            "fw": fw,
            "sections": sections,
            "levels": fw.levels,
            "editable": a.status == Pai8Assessment.SUBMITTED,
        },
        status=400 if errors else 200,
    )
