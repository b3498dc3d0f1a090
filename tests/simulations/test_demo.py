"""The demo seeder: one finished simulation per Acme AI workflow, idempotent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_seed_adds_one_finished_run_per_acme_workflow(personas):
    from simulations import demo
    from simulations.models import SimulationRun
    from studio import demo as studio_demo
    from studio.models import Workflow

    studio_demo.seed([])
    log: list[str] = []
    demo.seed(log)
    acme = Workflow.objects.filter(organisation=personas.acme, deleted_at__isnull=True)
    runs = SimulationRun.objects.all()
    assert acme.count() == 3 and runs.count() == 3
    assert {r.workflow_id for r in runs} == {wf.pk for wf in acme}
    assert all(r.status == "done" and r.n == demo.DEMO_REQUESTS and r.report_hash for r in runs)
    assert not runs.filter(organisation=personas.globex).exists()
    # The unguarded prototype fails its steady-state hypothesis; the guarded assistant passes.
    verdicts = {r.workflow.name: r.passed for r in runs}
    assert verdicts["Prototype sales agent (unguarded)"] is False
    assert verdicts["Customer help-centre assistant"] is True
    assert len(log) == 3

    again: list[str] = []
    demo.seed(again)
    assert again == [] and SimulationRun.objects.count() == 3
