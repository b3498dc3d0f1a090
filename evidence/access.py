"""Access to evidence exports: every evidence view and endpoint starts with one of these.

- An export belongs to an organisation: its members (through the active membership) may see and
  download it.
- A pack made of a DSA submission may also be seen by the assessor assigned to that assessment
  (never by one who is a member of the organisation: conflict of interest).
- Anyone else gets 404, so another organisation's exports are not revealed (403 for a signed-in
  user with no organisation and no assessor role at all).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from accounts.access import active_membership, is_assessor, require_membership
from accounts.models import Membership

from .models import ExportJob


def _assigned_assessor(user: Any, assessment: Any) -> bool:
    return bool(
        is_assessor(user)
        and assessment.assessor_id == user.pk
        and not Membership.objects.filter(user=user, organisation_id=assessment.organisation_id).exists()
    )


def _refuse(request: HttpRequest, what: str) -> Exception:
    if active_membership(request) is None and not is_assessor(request.user):
        return PermissionDenied("You are not a member of any organisation.")
    return Http404(f"No such {what}.")


def access_export_by_id(request: HttpRequest, export_id: int) -> ExportJob:
    """The export if the request may see it (members; the assigned assessor of a submission pack)."""
    job = (
        ExportJob.objects.select_related("organisation", "created_by", "submission__assessment")
        .filter(pk=export_id)
        .first()
    )
    if job is not None:
        m = active_membership(request)
        if m is not None and m.organisation_id == job.organisation_id:
            return job
        if job.submission is not None and _assigned_assessor(request.user, job.submission.assessment):
            return job
    raise _refuse(request, "export")


def access_submission_for_export(request: HttpRequest, submission_id: int) -> Any:
    """A DSA submission whose evidence pack the request may make and see: members of the
    assessment's organisation and its assigned assessor."""
    from assessments.models import Submission

    sub = (
        Submission.objects.select_related("assessment__organisation", "assessment__rubric_version")
        .filter(pk=submission_id)
        .first()
    )
    if sub is not None:
        m = active_membership(request)
        if m is not None and m.organisation_id == sub.assessment.organisation_id:
            return sub
        if _assigned_assessor(request.user, sub.assessment):
            return sub
    raise _refuse(request, "submission")


def require_organisation_member(request: HttpRequest) -> Any:
    """The active organisation (403 without one)."""
    return require_membership(request).organisation
