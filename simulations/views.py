"""Pages of simulated runs, under /studio/<workflow_id>/simulations/."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from accounts.access import member_required
from lib.canonical import canonical_json
from lib.errors import DomainError
from psf.rubric import current_rubric
from simulator.params import parse_params
from studio.access import access_workflow_by_id
from studio.selectors import version_get, version_list

from . import downloads
from .access import access_simulation_by_id
from .forms import SimulationStartForm
from .models import SimulationRun
from .presenters import (
    duration_seconds,
    params_filename,
    report_context,
    reproduce_command,
    workflow_filename,
)
from .selectors import simulation_list, worker_seen_recently
from .services import random_seed, simulation_cancel, simulation_rerun, simulation_start
from .svg import domain_escape_svg

RUNS_PER_PAGE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _domain_names() -> dict[str, str]:
    return {d.code: d.name for d in current_rubric().domains}


@require_http_methods(["GET", "POST"])
@member_required()
def simulation_index(request: HtmxHttpRequest, workflow_id: int) -> HttpResponse:
    wf = access_workflow_by_id(request, workflow_id)
    versions = [v.number for v in version_list(workflow=wf)]
    status = 200
    if request.method == "POST":
        form = SimulationStartForm(request.POST, versions=versions)
        if form.is_valid():
            try:
                run = simulation_start(
                    workflow=wf,
                    user=request.user,
                    n=form.cleaned_data["n"],
                    seed=form.cleaned_data["seed"],
                    params=form.params(),
                    version=version_get(workflow=wf, number=form.cleaned_data["version"]),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                for item in exc.errors:
                    if item.path in form.fields:
                        form.add_error(item.path, item.message)
                status = exc.status
            else:
                messages.success(
                    request, f"Simulation #{run.pk} started: {run.n:,} requests, seed {run.seed}."
                )
                return redirect("simulations:run", wf.pk, run.pk)
        else:
            status = 400
    else:
        form = SimulationStartForm(initial={"seed": random_seed()}, versions=versions)
    page = Paginator(simulation_list(workflow=wf), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    ctx: dict[str, Any] = {
        "wf": wf,
        "form": form,
        "page": page,
        "runs": page.object_list,
        "any_active": any(r.active for r in page.object_list),
    }
    if request.htmx and request.GET.get("fragment") == "rows":
        return render(request, "simulations/_run_rows.html", ctx)
    return render(request, "simulations/index.html", ctx, status=status)


def _run_context(run: SimulationRun) -> dict[str, Any]:
    ctx: dict[str, Any] = {"run": run, "wf": run.workflow, "duration": duration_seconds(run)}
    if ctx["duration"]:
        ctx["rate"] = run.n / ctx["duration"] if run.status == SimulationRun.DONE else None
    if run.active:
        ctx["worker_seen"] = worker_seen_recently()
    if run.status == SimulationRun.DONE and run.report:
        ctx.update(report_context(run))
        tolerances = {
            str(k): v for k, v in parse_params(run.params).tolerances.max_domain_escape_rate.items()
        }
        ctx["chart"] = mark_safe(  # noqa: S308 - every label is escaped by domain_escape_svg
            domain_escape_svg(run.report["domains"], names=_domain_names(), tolerances=tolerances)
        )
    command, needs_params = reproduce_command(run)
    ctx.update(
        {
            "reproduce": command,
            "needs_params": needs_params,
            "workflow_file": workflow_filename(run),
            "params_file": params_filename(run),
            "params_json": canonical_json(run.params),
        }
    )
    return ctx


@require_GET
@member_required()
def simulation_detail(request: HtmxHttpRequest, workflow_id: int, run_id: int) -> HttpResponse:
    run = access_simulation_by_id(request, run_id, workflow_id=workflow_id)
    ctx = _run_context(run)
    if request.htmx:
        return render(request, "simulations/_run_body.html", ctx)
    return render(request, "simulations/run.html", ctx)


@require_POST
@member_required()
def simulation_cancel_view(request: HtmxHttpRequest, workflow_id: int, run_id: int) -> HttpResponse:
    run = access_simulation_by_id(request, run_id, workflow_id=workflow_id)
    try:
        run = simulation_cancel(run=run)
    except DomainError as exc:
        messages.info(request, exc.message)
    else:
        if run.status == SimulationRun.CANCELLED:
            messages.success(request, f"Simulation #{run.pk} cancelled.")
        else:
            messages.info(
                request, f"Cancelling simulation #{run.pk}: it stops before its next batch of requests."
            )
    if request.htmx:
        return render(request, "simulations/_run_body.html", _run_context(run))
    return redirect("simulations:run", workflow_id, run.pk)


@require_POST
@member_required()
def simulation_rerun_view(request: HttpRequest, workflow_id: int, run_id: int) -> HttpResponse:
    run = access_simulation_by_id(request, run_id, workflow_id=workflow_id)
    try:
        new = simulation_rerun(run=run, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("simulations:run", workflow_id, run.pk)
    messages.success(request, f"Simulation #{new.pk} started with the inputs of #{run.pk}.")
    return redirect("simulations:run", workflow_id, new.pk)


# A streamed file is not an HttpResponse, which member_required's type expects.
@require_GET  # type: ignore[type-var]
@member_required()
def simulation_journal(request: HttpRequest, workflow_id: int, run_id: int) -> HttpResponseBase:
    run = access_simulation_by_id(request, run_id, workflow_id=workflow_id)
    return downloads.journal_response(request, run)


@require_GET
@member_required()
def simulation_report_json(request: HttpRequest, workflow_id: int, run_id: int) -> HttpResponse:
    run = access_simulation_by_id(request, run_id, workflow_id=workflow_id)
    return downloads.report_response(run)


@require_GET
@member_required()
def simulation_params_json(request: HttpRequest, workflow_id: int, run_id: int) -> HttpResponse:
    run = access_simulation_by_id(request, run_id, workflow_id=workflow_id)
    return downloads.params_response(run)
