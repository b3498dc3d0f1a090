"""Imports live and die with their organisation; a version with imports cannot go alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import RestrictedError

pytestmark = pytest.mark.django_db

PROMPTFOO = Path(__file__).parent / "fixtures" / "promptfoo" / "results.json"


def test_organisation_deletion_takes_its_imports(personas):
    from accounts.models import Organisation
    from results.models import ImportedResult
    from results.services import result_import
    from tests.studio.helpers import make_workflow

    org = Organisation.objects.create(name="Short-lived", slug="short-lived")
    wf = make_workflow(org, personas.pat)
    with PROMPTFOO.open("rb") as fh:
        result = result_import(workflow=wf, user=personas.pat, fh=fh, file_name="results.json")
    with pytest.raises(RestrictedError):
        result.version.delete()
    org.delete()
    assert not ImportedResult.objects.filter(pk=result.pk).exists()
