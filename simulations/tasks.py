"""Celery tasks of simulated runs. Each takes ids and calls one service; the state lives in the
row, so a task can be delivered twice (acks late) without harm."""

from __future__ import annotations

from celery import shared_task

from workflowos.celery import app

from .services import simulation_execute, simulation_sweep_stale

SWEEP_EVERY_SECONDS = 60.0


@shared_task(name="simulations.run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def simulation_run_task(run_id: int) -> None:
    simulation_execute(run_id=run_id)


@shared_task(name="simulations.sweep_stale", ignore_result=True)
def simulation_sweep_task() -> int:
    return simulation_sweep_stale()


# With `celery beat` (or a worker started with -B) this settles runs whose worker died even when
# nobody looks at them; reads of runs do the same sweep on their own.
app.add_periodic_task(SWEEP_EVERY_SECONDS, simulation_sweep_task.s(), name="simulations: settle stale runs")
