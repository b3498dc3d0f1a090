"""Reads for evidence exports, always scoped to an organisation (or a submission of it)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from accounts.branding import branding_for
from accounts.models import Organisation
from studio.models import Analysis, Workflow, WorkflowVersion

from .models import ExportJob
from .pack import AssessmentInput, CriterionScoreInput, PackInput, SimulationInput, WorkflowInput


def export_get(*, organisation: Organisation, export_id: int) -> ExportJob:
    """One export of the organisation; 404 otherwise (another organisation's are not revealed)."""
    job = (
        ExportJob.objects.select_related("organisation", "created_by")
        .filter(organisation=organisation, pk=export_id)
        .first()
    )
    if job is None:
        raise Http404("No such export in this organisation.")
    return job


def exports_for_organisation(organisation: Organisation, *, done_only: bool = True) -> QuerySet[ExportJob]:
    """The organisation's exports, newest first; by default only finished ones (the packs that
    can be downloaded or attached as evidence to a DSA submission, ``EvidenceItem.kind == "export"``)."""
    qs = ExportJob.objects.filter(organisation=organisation).select_related("created_by")
    if done_only:
        qs = qs.filter(status=ExportJob.DONE)
    return qs.order_by("-created", "-pk")


def exports_for_workflow(*, workflow: Workflow) -> QuerySet[ExportJob]:
    """Every export that includes a version of ``workflow``, newest first."""
    return (
        ExportJob.objects.filter(organisation_id=workflow.organisation_id, versions__workflow=workflow)
        .select_related("created_by")
        .distinct()
        .order_by("-created", "-pk")
    )


def exports_for_submission(*, submission: Any) -> QuerySet[ExportJob]:
    """Every export made of an assessment submission, newest first."""
    return (
        ExportJob.objects.filter(submission=submission)
        .select_related("created_by")
        .order_by("-created", "-pk")
    )


def export_versions(*, job: ExportJob) -> list[WorkflowVersion]:
    """The pinned versions of an export, in the pack's order (workflow name, then number)."""
    return list(
        job.versions.select_related("workflow", "author").order_by("workflow__name", "workflow_id", "number")
    )


def latest_done_simulation(*, version: WorkflowVersion) -> Any | None:
    """The latest finished simulation run of exactly this version, if any."""
    from simulations.models import SimulationRun

    return (
        SimulationRun.objects.filter(
            organisation_id=version.workflow.organisation_id,
            version=version,
            status=SimulationRun.DONE,
            report__isnull=False,
        )
        .order_by("-finished", "-created", "-pk")
        .first()
    )


def submission_versions(*, submission: Any) -> list[WorkflowVersion]:
    """The workflow versions a submission froze in its snapshot (its scope), of its organisation."""
    ids = []
    for row in (submission.snapshot or {}).get("scope", []):
        version = row.get("version") if isinstance(row, dict) else None
        if isinstance(version, dict) and isinstance(version.get("id"), int):
            ids.append(version["id"])
    org_id = submission.assessment.organisation_id
    return list(
        WorkflowVersion.objects.filter(pk__in=ids, workflow__organisation_id=org_id).select_related(
            "workflow"
        )
    )


def _user_label(user: Any) -> str:
    return getattr(user, "email", "") or ""


def _simulation_input(run: Any) -> SimulationInput | None:
    if run is None or not run.report:
        return None
    return SimulationInput(
        run_id=run.pk,
        report=run.report,
        report_hash=run.report_hash,
        seed=run.seed,
        n=run.n,
        catalogue_version=run.catalogue_version,
        finished=run.finished,
    )


def _assessment_input(submission: Any) -> AssessmentInput:
    from psf.selectors import rubric_of

    a = submission.assessment
    rubric = rubric_of(a.rubric_version)
    criteria = {c.code: c for c in rubric.all_criteria()}
    scores = [
        CriterionScoreInput(
            criterion=s.criterion,
            title=getattr(criteria.get(s.criterion), "title", ""),
            domain=s.criterion.split(".")[0],
            score=s.score,
            comment=s.comment,
        )
        for s in a.scores.order_by("criterion")
    ]
    decided = a.status in ("passed", "failed")
    return AssessmentInput(
        reference=a.reference,
        status=a.get_status_display(),
        rubric=a.rubric_version.key,
        submission_number=submission.number,
        submitted_at=submission.created,
        snapshot=submission.snapshot,
        snapshot_hash=submission.snapshot_hash,
        scores=scores,
        domain_scores=dict(a.domain_scores or {}),
        computed_passed=a.computed_passed,
        decision=a.status if decided else None,
        overridden=a.decision_overridden,
        override_reason=a.override_reason,
        decided_at=a.decided_at,
        assessor=_user_label(a.assessor) if a.assessor_id else "",
    )


def pack_input(*, job: ExportJob, analyses: dict[int, Analysis]) -> PackInput:
    """Everything the pack of ``job`` shows, read from the database (``analyses``: version id →
    its stored analysis, computed beforehand by the service)."""
    org = job.organisation
    workflows = []
    for v in export_versions(job=job):
        analysis = analyses.get(v.pk)
        workflows.append(
            WorkflowInput(
                workflow_id=v.workflow_id,
                name=v.document.get("name") or v.workflow.name,
                description=v.document.get("description", ""),
                version_number=v.number,
                version_created=v.created,
                version_author=_user_label(v.author),
                version_message=v.message,
                content_hash=v.content_hash,
                document=v.document,
                analysis=analysis.result if analysis else None,
                analysis_created=analysis.created if analysis else None,
                simulation=_simulation_input(latest_done_simulation(version=v)),
            )
        )
    assessment = _assessment_input(job.submission) if job.submission_id else None
    brand = branding_for(org)
    return PackInput(
        reference=job.reference,
        title=job.title,
        organisation_name=org.name,
        organisation_slug=org.slug,
        brand_name=org.brand_name,
        brand_colour=brand.colour,
        brand_logo=brand.logo_data_uri,
        scope=job.scope,
        rubric=job.rubric_version.key if job.rubric_version is not None else "",
        created=job.created,
        created_by=_user_label(job.created_by),
        workflows=workflows,
        assessment=assessment,
    )
