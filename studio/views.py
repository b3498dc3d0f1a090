from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import member_required, request_user, require_membership
from lib.errors import DomainError
from studio.access import access_workflow_by_id
from studio.catalogue import load_catalogue
from studio.diff import diff_documents
from studio.format import MAX_DOCUMENT_BYTES, WorkflowDocument, parse_document
from studio.models import Workflow
from studio.selectors import version_get, version_list, workflow_list
from studio.services import (
    workflow_create,
    workflow_delete,
    workflow_from_template,
    workflow_import,
    workflow_restore,
    workflow_save,
)

from . import edits
from .forms import AddStepForm, BaseVersionForm, ConnectForm, FactsForm, StepForm, WorkflowCreateForm


def _templates() -> list[dict[str, Any]]:
    from studio.templates_data import list_templates

    return [t.model_dump() if hasattr(t, "model_dump") else dict(t) for t in list_templates()]


def _head(wf: Workflow) -> WorkflowDocument:
    return parse_document(version_get(workflow=wf).document)


def _save(request: HttpRequest, wf: Workflow, doc: WorkflowDocument, base: int, message: str) -> bool:
    try:
        outcome = workflow_save(
            workflow=wf, author=request_user(request), document=doc, base_number=base, message=message
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    if outcome.created:
        messages.success(request, f"Saved as version {outcome.version.number}.")
    else:
        messages.info(request, "Nothing changed.")
    return True


@require_GET
@member_required()
def workflow_index(request: HttpRequest) -> HttpResponse:
    org = require_membership(request).organisation
    q = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "updated")
    page = Paginator(workflow_list(organisation=org, query=q, sort=sort), 20).get_page(
        request.GET.get("page")
    )
    ctx = {"page": page, "q": q, "sort": sort}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "studio/_workflow_rows.html", ctx)
    return render(request, "studio/list.html", ctx)


@require_http_methods(["GET", "POST"])
@member_required()
def workflow_new(request: HttpRequest) -> HttpResponse:
    org = require_membership(request).organisation
    templates = _templates()
    choices = [(t["slug"], t["title"]) for t in templates]
    form = WorkflowCreateForm(
        request.POST or None, templates=choices, initial={"template": request.GET.get("template", "")}
    )
    if request.method == "POST" and form.is_valid():
        name, slug = form.cleaned_data["name"], form.cleaned_data["template"]
        try:
            if slug:
                wf = workflow_from_template(
                    organisation=org, author=request_user(request), slug=slug, name=name
                )
            else:
                doc = parse_document({"name": name, "description": form.cleaned_data["description"]})
                wf = workflow_create(organisation=org, author=request_user(request), document=doc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Created “{wf.name}”.")
            return redirect("studio:editor", workflow_id=wf.pk)
    return render(
        request, "studio/new.html", {"form": form, "templates": templates}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@member_required()
def workflow_import_view(request: HttpRequest) -> HttpResponse:
    org = require_membership(request).organisation
    ctx: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            ctx["error"] = "Choose a file to import."
            status = 400
        elif upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
            ctx["error"] = "The file is larger than 5 MB."
            status = 413
        else:
            try:
                outcome = workflow_import(
                    organisation=org,
                    author=request_user(request),
                    filename=upload.name,
                    content=upload.read(),
                )
            except DomainError as exc:
                ctx["error"] = exc.message
                ctx["errors"] = exc.lines()[:50]
                status = 400
            else:
                ctx["outcome"] = outcome
    return render(request, "studio/import.html", ctx, status=status)


@require_GET
@member_required()
def editor(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    version = version_get(workflow=wf)
    cat = load_catalogue()
    highlight = [h for h in request.GET.get("highlight", "").split(",") if h][:200]
    return render(
        request,
        "studio/editor.html",
        {
            "wf": wf,
            "version": version,
            "bootstrap": {
                "workflow": {
                    "id": wf.pk,
                    "name": wf.name,
                    "head_version": wf.head_number,
                    "content_hash": version.content_hash,
                },
                "document": version.document,
                "node_types": [t.model_dump(mode="json") for t in cat.types],
                "api": {"workflow": f"/api/workflows/{wf.pk}/"},
                "highlight": highlight,
            },
        },
    )


@require_GET
@member_required()
def steps(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    version = version_get(workflow=wf)
    doc = parse_document(version.document)
    cat = load_catalogue()
    node_choices = [(n.id, f"{n.label} ({n.id})") for n in doc.nodes]
    base = {"base_version": wf.head_number}
    labels = {n.id: n.label for n in doc.nodes}
    rows = [{"node": n, "type": cat.get(n.type)} for n in doc.nodes]
    return render(
        request,
        "studio/steps.html",
        {
            "wf": wf,
            "version": version,
            "doc": doc,
            "rows": rows,
            "edges": [
                {"edge": e, "from_label": labels.get(e.from_, e.from_), "to_label": labels.get(e.to, e.to)}
                for e in doc.edges
            ],
            "add_form": AddStepForm(initial=base),
            "connect_form": ConnectForm(initial=base, nodes=node_choices),
            "facts_form": FactsForm(
                initial={**base, "name": doc.name, "description": doc.description, **doc.facts.model_dump()}
            ),
        },
    )


@require_POST
@member_required()
def step_add(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    form = AddStepForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Could not add the step: "
            + "; ".join(f"{k}: {', '.join(str(e) for e in v)}" for k, v in form.errors.items()),
        )
        return redirect("studio:steps", workflow_id=wf.pk)
    try:
        doc, nid = edits.add_node(
            _head(wf),
            type_=form.cleaned_data["type"],
            label=form.cleaned_data["label"],
            node_id=form.cleaned_data["node_id"] or None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("studio:steps", workflow_id=wf.pk)
    if _save(request, wf, doc, form.cleaned_data["base_version"], f"Added step {nid}"):
        return redirect("studio:step", workflow_id=wf.pk, node_id=nid)
    return redirect("studio:steps", workflow_id=wf.pk)


@require_http_methods(["GET", "POST"])
@member_required()
def step_edit(request: HttpRequest, workflow_id: int, node_id: str) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    doc = _head(wf)
    node = next((n for n in doc.nodes if n.id == node_id), None)
    if node is None:
        from django.http import Http404

        raise Http404("No such step.")
    nt = load_catalogue().get(node.type)
    assert nt is not None
    form = StepForm(
        request.POST or None,
        node_type=nt,
        config=dict(node.config),
        initial={"label": node.label, "base_version": wf.head_number},
    )
    if request.method == "POST" and form.is_valid():
        try:
            new_doc = edits.update_node(
                doc, node_id=node.id, label=form.cleaned_data["label"], config=form.config()
            )
        except DomainError as exc:
            for line in exc.lines():
                form.add_error(None, line)
        else:
            if _save(request, wf, new_doc, form.cleaned_data["base_version"], f"Configured step {node.id}"):
                return redirect(reverse("studio:steps", kwargs={"workflow_id": wf.pk}) + f"#step-{node.id}")
    return render(
        request,
        "studio/step_edit.html",
        {"wf": wf, "node": node, "node_type": nt, "form": form},
        status=400 if form.errors else 200,
    )


def _apply_edit(
    request: HttpRequest, wf: Workflow, edit: Callable[[WorkflowDocument], WorkflowDocument], message: str
) -> None:
    """Apply a small edit to the head version and save it, reporting any refusal as a message."""
    form = BaseVersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The form was incomplete; reload the page and try again.")
        return
    try:
        _save(request, wf, edit(_head(wf)), form.cleaned_data["base_version"], message)
    except DomainError as exc:
        messages.error(request, exc.message)


@require_POST
@member_required()
def step_delete(request: HttpRequest, workflow_id: int, node_id: str) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    _apply_edit(request, wf, lambda doc: edits.delete_node(doc, node_id=node_id), f"Deleted step {node_id}")
    return redirect("studio:steps", workflow_id=wf.pk)


@require_POST
@member_required()
def edge_add(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    doc = _head(wf)
    form = ConnectForm(request.POST, nodes=[(n.id, n.id) for n in doc.nodes])
    if not form.is_valid():
        messages.error(
            request, "Could not connect: " + "; ".join(str(e) for errs in form.errors.values() for e in errs)
        )
        return redirect("studio:steps", workflow_id=wf.pk)
    d = form.cleaned_data
    try:
        new_doc = edits.add_edge(
            doc, source=d["source"], target=d["target"], kind=d["kind"], label=d["label"]
        )
    except DomainError as exc:
        messages.error(request, "Could not connect: " + "; ".join(exc.lines()))
        return redirect("studio:steps", workflow_id=wf.pk)
    _save(request, wf, new_doc, d["base_version"], f"Connected {d['source']} → {d['target']}")
    return redirect(reverse("studio:steps", kwargs={"workflow_id": wf.pk}) + "#connections")


@require_POST
@member_required()
def edge_delete(request: HttpRequest, workflow_id: int, edge_id: str) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    _apply_edit(
        request, wf, lambda doc: edits.delete_edge(doc, edge_id=edge_id), f"Removed connection {edge_id}"
    )
    return redirect(reverse("studio:steps", kwargs={"workflow_id": wf.pk}) + "#connections")


@require_POST
@member_required()
def facts(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    form = FactsForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Could not save the workflow facts: "
            + "; ".join(f"{k}: {', '.join(str(e) for e in v)}" for k, v in form.errors.items()),
        )
        return redirect("studio:steps", workflow_id=wf.pk)
    d = form.cleaned_data
    try:
        doc = edits.set_facts(_head(wf), name=d["name"], description=d["description"], facts=form.facts())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _save(request, wf, doc, d["base_version"], "Updated workflow facts")
    return redirect("studio:steps", workflow_id=wf.pk)


@require_GET
@member_required()
def history(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    return render(request, "studio/history.html", {"wf": wf, "versions": version_list(workflow=wf)})


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


@require_GET
@member_required()
def diff(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    b = _int(request.GET.get("b"), wf.head_number)
    a = _int(request.GET.get("a"), max(1, b - 1))
    va, vb = version_get(workflow=wf, number=a), version_get(workflow=wf, number=b)
    result = diff_documents(parse_document(va.document), parse_document(vb.document))
    return render(
        request,
        "studio/diff.html",
        {"wf": wf, "va": va, "vb": vb, "diff": result.to_data(), "versions": version_list(workflow=wf)},
    )


@require_POST
@member_required()
def restore(request: HttpRequest, workflow_id: int, number: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    try:
        outcome = workflow_restore(workflow=wf, author=request_user(request), number=number)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Version {number} restored as version {outcome.version.number}."
            if outcome.created
            else "That version is already the latest.",
        )
    return redirect("studio:history", workflow_id=wf.pk)


@require_GET
@member_required()
def export(request: HttpRequest, workflow_id: int) -> HttpResponse:
    from studio.api.views import EXPORT_TYPES, export_response

    wf = access_workflow_by_id(request, workflow_id)
    fmt = request.GET.get("format", "json")
    if fmt not in EXPORT_TYPES:
        messages.error(request, "Unknown export format.")
        return redirect("studio:editor", workflow_id=wf.pk)
    return export_response(
        wf, version_get(workflow=wf, number=_int(request.GET.get("version"), wf.head_number)), fmt
    )


@require_POST
@member_required()
def delete(request: HttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    workflow_delete(workflow=wf)
    messages.success(request, f"Deleted “{wf.name}”. Versions cited by submissions are kept.")
    return redirect("studio:list")


@require_GET
@member_required()
def analysis_page(request: HttpRequest, workflow_id: int) -> HttpResponse:
    from django.utils.safestring import mark_safe

    from lib.charts import domain_scores_svg
    from studio.analysis_service import analysis_for_version

    wf = access_workflow_by_id(request, workflow_id)
    version = version_get(workflow=wf, number=_int(request.GET.get("version"), wf.head_number))
    analysis = analysis_for_version(version=version)
    result = analysis.result
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for f in result["findings"]:
        by_domain.setdefault(f["domain"], []).append(f)
    order = {"missing": 0, "partial": 1, "needs_evidence": 2, "met": 3, "not_applicable": 4}
    groups = [
        {
            "domain": d,
            "findings": sorted(
                by_domain.get(d["code"], []), key=lambda f: (order.get(f["status"], 9), f["rule_id"])
            ),
        }
        for d in result["domains"]
    ]
    doc = parse_document(version.document)
    labels = {n.id: n.label for n in doc.nodes}
    return render(
        request,
        "studio/analysis.html",
        {
            "wf": wf,
            "version": version,
            "analysis": analysis,
            "result": result,
            "groups": groups,
            "labels": labels,
            "chart": mark_safe(domain_scores_svg(result["domains"])),  # noqa: S308 - built with html.escape
            "coverage_rows": [
                {"domain": d, "nodes": [(n, labels.get(n, n)) for n in result["coverage"].get(d["code"], [])]}
                for d in result["domains"]
            ],
            "versions": version_list(workflow=wf),
        },
    )
