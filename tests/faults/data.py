"""Code run in ``manage.py shell`` against an instance with a database of its own (the fault
tests' PostgreSQL cluster): the demo accounts, the rubric, workflows, a token, and job starts."""

from __future__ import annotations

SETUP = """
import json
from types import SimpleNamespace
from accounts import demo
from accounts.models import Organisation, User
from accounts.services import api_token_issue
from psf.rubric import CURRENT_RUBRIC_PATH
from psf.selectors import rubric_version_current
from psf.services import rubric_load
from studio.services import workflow_from_template
from tests.simulations.test_worker_integration import heavy_workflow

if rubric_version_current() is None:
    rubric_load(path=CURRENT_RUBRIC_PATH)
demo.seed([])
pat = User.objects.get(email="pat@acme.example")
acme = Organisation.objects.get(slug="acme-ai")
small = workflow_from_template(organisation=acme, author=pat, slug="rag-assistant", name="Assistant")
heavy = heavy_workflow(SimpleNamespace(acme=acme, pat=pat))
print("RESULT " + json.dumps({"small": small.pk, "heavy": heavy.pk, "token": api_token_issue(user=pat)}))
"""


def start_simulations(workflow_id: int, n: int, seeds: list[int]) -> str:
    return f"""
import json
from accounts.models import User
from simulations.services import simulation_start
from studio.models import Workflow

wf = Workflow.objects.get(pk={workflow_id})
pat = User.objects.get(email="pat@acme.example")
ids = [simulation_start(workflow=wf, user=pat, n={n}, seed=seed).pk for seed in {seeds!r}]
print("RESULT " + json.dumps(ids))
"""
