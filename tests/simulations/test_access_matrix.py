"""Every simulation URL × every persona → the expected status (see tests/access.py).

Pages and endpoints belong to members of the owning organisation (Acme AI); another
organisation's member gets 404 (existence not revealed); the assessor and the platform admin,
who belong to no organisation, get 403; anonymous visitors are sent to sign in (pages) or get 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.access import LOGIN, check_access

pytestmark = pytest.mark.django_db

PAGE = {"anonymous": LOGIN, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403}
PAGE_POST = {"anonymous": LOGIN, "same_org": 302, "other_org": 404, "assessor": 403, "admin": 403}
API = {"anonymous": 401, "same_org": 200, "other_org": 404, "assessor": 403, "admin": 403}

ROWS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/studio/{wf}/simulations/", PAGE),
    ("GET", "/studio/{wf}/simulations/{done}/", PAGE),
    ("GET", "/studio/{wf}/simulations/{done}/journal/", PAGE),
    ("GET", "/studio/{wf}/simulations/{done}/report.json", PAGE),
    ("GET", "/studio/{wf}/simulations/{done}/params.json", PAGE),
    ("POST", "/studio/{wf}/simulations/{done}/rerun/", PAGE_POST),
    ("POST", "/studio/{wf}/simulations/{queued}/cancel/", PAGE_POST),
    # A start with a complete form: the member is redirected to the new run.
    ("POST", "/studio/{wf}/simulations/", PAGE_POST),
    ("GET", "/api/workflows/{wf}/simulations/", API),
    ("POST", "/api/workflows/{wf}/simulations/", {**API, "same_org": 202}),
    ("GET", "/api/simulations/{done}/", API),
    ("GET", "/api/simulations/{done}/journal/", API),
    ("POST", "/api/simulations/{queued}/cancel/", {**API, "same_org": 202}),
]
FORM = {"n": "1000", "seed": "1", "version": "1", "max_escape_rate": "1", "min_availability": "99.5"}


@pytest.fixture
def sim_objects(personas, monkeypatch) -> dict[str, Any]:
    from simulations.services import simulation_execute, simulation_start
    from simulations.tasks import simulation_run_task
    from tests.studio.helpers import make_workflow

    # Starting runs must not reach a broker here; the queueing itself is tested elsewhere.
    monkeypatch.setattr(simulation_run_task, "apply_async", lambda **kwargs: None)
    wf = make_workflow(personas.acme, personas.pat, "Matrix workflow")
    done = simulation_start(workflow=wf, user=personas.pat, n=1000, seed=1, enqueue=False)
    simulation_execute(run_id=done.pk)
    queued = simulation_start(workflow=wf, user=personas.pat, n=1000, seed=2, enqueue=False)
    return {"wf": wf.pk, "done": done.pk, "queued": queued.pk}


@pytest.mark.parametrize("method,url,expected", ROWS, ids=[f"{m} {u}" for m, u, _ in ROWS])
def test_access_matrix(
    method: str, url: str, expected: dict[str, Any], personas, sim_objects, client_for: Callable[..., Any]
):
    data = FORM if url == "/studio/{wf}/simulations/" and method == "POST" else None
    assert not check_access(client_for, personas, method, url, expected, sim_objects, data=data)
