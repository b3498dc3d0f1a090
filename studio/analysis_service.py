"""Running and storing PSF analyses of workflow versions.

An analysis is stored per (organisation, document content hash, rubric version, rule-set hash):
re-analysing an unchanged version returns the stored row instead of recomputing.
"""

from __future__ import annotations

from functools import cache

from django.db import IntegrityError, transaction

from analysis.engine import analyse
from analysis.ruleset import RuleSet, default_rules
from lib.canonical import content_hash
from lib.errors import DomainError
from psf.models import RubricVersion
from psf.selectors import rubric_of, rubric_version_current
from studio.format import parse_document

from .models import Analysis, WorkflowVersion


@cache
def _rules() -> tuple[RuleSet, str]:
    rules = default_rules()
    return rules, f"r{rules.revision}-{content_hash(rules.model_dump(mode='json'))[:16]}"


def rules_version() -> str:
    return _rules()[1]


def analysis_for_version(
    *, version: WorkflowVersion, rubric_version: RubricVersion | None = None
) -> Analysis:
    """The stored analysis of this version, computing and storing it on first request."""
    rv = rubric_version or rubric_version_current()
    if rv is None:
        raise DomainError(
            "No PSF rubric is loaded; run `manage.py load_rubric`.", status=503, code="no_rubric"
        )
    rules, rules_key = _rules()
    org_id = version.workflow.organisation_id
    lookup = {
        "organisation_id": org_id,
        "content_hash": version.content_hash,
        "rubric_version": rv,
        "rules_version": rules_key,
    }
    existing = Analysis.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    result = analyse(
        parse_document(version.document), rubric_of(rv), rules, workflow_hash=version.content_hash
    )
    try:
        with transaction.atomic():
            return Analysis.objects.create(
                **lookup, result=result.to_data(), overall_score=result.overall_score, passed=result.passed
            )
    except IntegrityError:  # a concurrent request stored the same analysis first
        return Analysis.objects.get(**lookup)


def latest_analysis(*, version: WorkflowVersion) -> Analysis | None:
    """The stored analysis of a version under the current rubric and rules, without computing."""
    rv = rubric_version_current()
    if rv is None:
        return None
    return Analysis.objects.filter(
        organisation_id=version.workflow.organisation_id,
        content_hash=version.content_hash,
        rubric_version=rv,
        rules_version=rules_version(),
    ).first()
