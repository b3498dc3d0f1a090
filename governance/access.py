"""Who may reach what on the organisation path. Built on accounts.access (the one module of role
predicates): members read and edit their organisation's inventory and answers; its admins start,
complete and submit self-assessments, delete systems and import; assessors without a conflict of
interest audit submitted self-assessments. Another organisation's objects answer 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from accounts.access import require_assessor, require_membership
from assessments.services import is_conflicted

from .models import AISystem, ImprovementAction, Pai8Assessment


def access_system(request: HttpRequest, system_id: int) -> AISystem:
    m = require_membership(request)
    system = AISystem.objects.filter(pk=system_id, organisation_id=m.organisation_id).first()
    if system is None:
        raise Http404("No such AI system in this organisation.")
    return system


def access_pai8(request: HttpRequest, assessment_id: int) -> Pai8Assessment:
    m = require_membership(request)
    a = (
        Pai8Assessment.objects.select_related("framework_version", "organisation", "auditor")
        .filter(pk=assessment_id, organisation_id=m.organisation_id)
        .first()
    )
    if a is None:
        raise Http404("No such self-assessment in this organisation.")
    return a


def access_action(request: HttpRequest, action_id: int) -> ImprovementAction:
    m = require_membership(request)
    row = ImprovementAction.objects.filter(pk=action_id, organisation_id=m.organisation_id).first()
    if row is None:
        raise Http404("No such action.")
    return row


def access_pai8_for_audit(request: HttpRequest, assessment_id: int) -> Pai8Assessment:
    """A submitted self-assessment, for an assessor without a conflict of interest."""
    user = require_assessor(request)
    a = (
        Pai8Assessment.objects.select_related("framework_version", "organisation")
        .filter(pk=assessment_id)
        .exclude(status=Pai8Assessment.DRAFT)
        .exclude(status=Pai8Assessment.COMPLETED)
        .first()
    )
    if a is None:
        raise Http404("No such submitted self-assessment.")
    if is_conflicted(user, a.organisation_id):
        raise PermissionDenied(
            f"Conflict of interest: you are a member of {a.organisation.name}, so you cannot audit its self-assessment."
        )
    return a
