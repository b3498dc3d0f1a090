"""Access to assessments: every assessment view and endpoint starts with one of these.

- Organisation pages: members of the assessment's organisation (through the active membership);
  anything else answers 404 so another organisation's assessments are not revealed.
- Review pages: platform assessors without a conflict of interest — the assigned assessor, any
  assessor while nobody is assigned (to accept or claim it), and platform admins.
- Evidence files and gap reports: the organisation's members, the assigned assessor, platform admins.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from accounts.access import (
    active_membership,
    conflict_of_interest,
    is_assessor,
    is_conflicted,
    require_assessor,
    require_membership,
)
from accounts.models import User

from .models import Assessment, EvidenceItem


def _get(assessment_id: int) -> Assessment:
    a = (
        Assessment.objects.select_related("organisation", "assessor", "rubric_version")
        .filter(pk=assessment_id)
        .first()
    )
    if a is None:
        raise Http404("No such assessment.")
    return a


def access_assessment_for_member(
    request: HttpRequest, assessment_id: int, *, admin: bool = False
) -> Assessment:
    """The assessment if it belongs to the request's active organisation; else 404."""
    membership = require_membership(request)
    a = _get(assessment_id)
    if a.organisation_id != membership.organisation_id:
        raise Http404("No such assessment.")
    if admin and not membership.is_admin:
        raise PermissionDenied("Only an organisation admin can do this.")
    return a


def assessor_may_open(user: User, a: Assessment) -> bool:
    """Whether an assessor (already known to be one) may open the review page of ``a``."""
    if user.is_staff:
        return True
    return a.assessor_id == user.pk or a.assessor_id is None


def access_assessment_for_assessor(request: HttpRequest, assessment_id: int) -> Assessment:
    user = require_assessor(request)
    a = _get(assessment_id)
    conflict = conflict_of_interest(user, a.organisation)
    if conflict:
        raise PermissionDenied(f"{conflict}, so you cannot review its assessment.")
    if not assessor_may_open(user, a):
        raise Http404("No such assessment in your queue.")
    return a


def can_see_confidential(request: HttpRequest, a: Assessment) -> bool:
    """Members of the organisation (active membership), its assigned assessor, platform admins."""
    user = request.user
    if not user.is_authenticated:
        return False
    m = active_membership(request)
    if m is not None and m.organisation_id == a.organisation_id:
        return True
    assert isinstance(user, User)
    if user.is_staff:
        return True
    return is_assessor(user) and a.assessor_id == user.pk and not is_conflicted(user, a.organisation_id)


def access_confidential(request: HttpRequest, assessment_id: int) -> Assessment:
    """For evidence files and gap reports: 404 to anyone who may not see them (403 with no role at all)."""
    a = _get(assessment_id)
    if can_see_confidential(request, a):
        return a
    if active_membership(request) is None and not is_assessor(request.user):
        raise PermissionDenied("You are not a member of any organisation.")
    raise Http404("No such assessment.")


def access_evidence_item(
    request: HttpRequest, assessment_id: int, item_id: int
) -> tuple[Assessment, EvidenceItem]:
    a = access_confidential(request, assessment_id)
    item = EvidenceItem.objects.select_related("added_by").filter(pk=item_id, assessment=a).first()
    if item is None:
        raise Http404("No such evidence.")
    return a, item
