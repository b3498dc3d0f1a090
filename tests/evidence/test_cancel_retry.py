"""An export's life beyond the happy path: cancel (queued at once, running at its next step),
run again (a new export of the same pinned inputs), the sweep that settles exports whose worker
died or overran, and the one that publishes again exports whose message was lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from evidence.models import ExportJob
from tests.evidence.helpers import fake_done, head, make_workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(personas: Any) -> ExportJob:
    from evidence.services import export_request

    wf = make_workflow(personas.acme, personas.pat)
    return export_request(organisation=personas.acme, user=personas.pat, versions=[head(wf)], enqueue=False)


def update(job: ExportJob, **fields: Any) -> ExportJob:
    ExportJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def test_a_queued_export_is_cancelled_at_once_and_then_offers_a_retry(personas, client_for, job):
    api = client_for(personas.pat)
    body = api.get(f"/api/exports/{job.pk}/").json()
    assert body["cancel_url"].endswith(f"/api/exports/{job.pk}/cancel/") and "retry_url" not in body

    resp = api.post(body["cancel_url"])
    assert resp.status_code == 202
    assert resp.json()["status"] == "cancelled" and resp.json()["retry_url"].endswith("/retry/")
    assert "cancel_url" not in resp.json()

    again = api.post(body["cancel_url"])
    assert again.status_code == 409 and again.json()["error"] == "conflict"


def test_a_running_export_stops_at_its_next_step_and_keeps_no_files(personas, client_for, job, monkeypatch):
    from evidence import services

    real_build_pack = services.build_pack

    def cancel_meanwhile(data: Any) -> Any:
        # The user presses Cancel while the worker gathers the pack.
        page = client_for(personas.pat).post(f"/evidence/{job.pk}/cancel/")
        assert page.status_code == 302
        return real_build_pack(data)

    monkeypatch.setattr(services, "build_pack", cancel_meanwhile)
    ended = services.export_run(job_id=job.pk)
    assert ended.status == ExportJob.CANCELLED and ended.cancel_requested
    assert ended.pdf_sha256 == "" and not services.export_path(ended.pdf_name).exists()


def test_a_cancel_that_arrives_before_the_worker_starts_is_honoured(job):
    from evidence.services import export_run

    update(job, status=ExportJob.RUNNING, cancel_requested=True, task_id="export-1-a")
    assert export_run(job_id=job.pk, task_id="export-1-a").status == ExportJob.CANCELLED


def test_a_finished_export_cannot_be_cancelled(personas, client_for, job):
    fake_done(job)
    page = client_for(personas.pat).post(f"/evidence/{job.pk}/cancel/", follow=True)
    assert "already finished" in page.content.decode()
    job.refresh_from_db()
    assert job.status == ExportJob.DONE


def test_retry_starts_a_new_export_of_the_same_versions(personas, client_for, job):
    update(job, status=ExportJob.FAILED, failure="worker_stopped", error="The worker stopped.")
    api = client_for(personas.pat)
    resp = api.post(f"/api/exports/{job.pk}/retry/")
    assert resp.status_code == 202, resp.json()
    new = resp.json()
    assert new["id"] != job.pk and new["status"] == "queued" and resp["Location"] == new["url"]
    assert new["title"] == job.title
    assert [w["version"] for w in new["workflows"]] == [v.number for v in job.versions.all()]

    page = client_for(personas.pat).post(f"/evidence/{job.pk}/retry/")
    assert page.status_code == 302 and page["Location"] != f"/evidence/{job.pk}/"
    assert ExportJob.objects.filter(title=job.title).count() == 3


def test_only_a_failed_or_cancelled_export_is_run_again(personas, client_for, job):
    api = client_for(personas.pat)
    assert api.post(f"/api/exports/{job.pk}/retry/").status_code == 409  # still queued
    fake_done(job)
    assert api.post(f"/api/exports/{job.pk}/retry/").status_code == 409


def test_the_page_offers_cancel_while_it_runs_and_retry_once_it_failed(personas, client_for, job):
    client = client_for(personas.pat)
    html = client.get(f"/evidence/{job.pk}/").content.decode()
    assert 'data-testid="export-cancel"' in html and 'data-testid="export-retry"' not in html

    update(job, status=ExportJob.FAILED, failure="worker_stopped", error="The worker stopped <b>here</b>.")
    html = client.get(f"/evidence/{job.pk}/").content.decode()
    assert 'data-testid="export-retry"' in html and 'data-testid="export-cancel"' not in html
    assert "The worker stopped &lt;b&gt;here&lt;/b&gt;." in html


# --- the sweep -----------------------------------------------------------------------------------


def test_a_running_export_without_heartbeat_is_settled_with_a_true_message(
    personas, client_for, job, settings
):
    settings.JOB_STALE_SECONDS = 60
    now = timezone.now()
    update(job, status=ExportJob.RUNNING, progress=30, started=now, heartbeat=now - timedelta(seconds=61))
    body = client_for(personas.pat).get(f"/api/exports/{job.pk}/").json()  # a read sweeps
    assert body["status"] == "failed" and body["failure"] == "worker_stopped"
    assert (
        body["error"] == "The worker stopped while making this export (no heartbeat for 60 s). Run it again."
    )
    assert body["retry_url"].endswith("/retry/")


def test_a_live_export_is_left_alone(job):
    from evidence.services import export_sweep_stale

    now = timezone.now()
    update(job, status=ExportJob.RUNNING, started=now - timedelta(minutes=5), heartbeat=now)
    assert export_sweep_stale() == 0
    job.refresh_from_db()
    assert job.status == ExportJob.RUNNING


def test_an_export_past_its_hard_time_limit_is_settled_even_if_it_beats(job, settings):
    from evidence.services import export_sweep_stale

    settings.JOB_TIME_LIMITS = {**settings.JOB_TIME_LIMITS, "evidence.export": {"soft": 600, "hard": 660}}
    now = timezone.now()
    update(job, status=ExportJob.RUNNING, started=now - timedelta(minutes=13), heartbeat=now)
    assert export_sweep_stale() == 1
    job.refresh_from_db()
    assert job.status == ExportJob.FAILED and job.failure == "time_limit"
    assert "longer than its time limit (11 min)" in job.error


def test_a_queued_export_whose_message_was_lost_is_published_again(job, settings, monkeypatch):
    from kombu.exceptions import OperationalError

    from evidence.services import export_requeue_stale
    from evidence.tasks import export_render_task

    settings.JOB_REQUEUE_SECONDS = 600
    sent: list[tuple[list[int], str]] = []
    monkeypatch.setattr(export_render_task, "apply_async", lambda args, task_id: sent.append((args, task_id)))
    update(job, heartbeat=timezone.now() - timedelta(minutes=5))
    assert export_requeue_stale() == 0 and sent == []  # not waiting long enough yet

    update(job, heartbeat=timezone.now() - timedelta(minutes=11), task_id="export-x-old")
    assert export_requeue_stale() == 1
    job.refresh_from_db()
    assert sent == [([job.pk], job.task_id)] and job.task_id != "export-x-old"
    assert job.status == ExportJob.QUEUED and timezone.now() - job.heartbeat < timedelta(minutes=1)

    def down(args: Any, task_id: str) -> None:
        raise OperationalError("broker down")

    monkeypatch.setattr(export_render_task, "apply_async", down)
    update(job, heartbeat=timezone.now() - timedelta(minutes=11))
    assert export_requeue_stale() == 0
    job.refresh_from_db()
    assert job.status == ExportJob.QUEUED  # tried again at the next sweep


def test_a_second_message_does_not_restart_a_running_export_but_a_redelivery_does(job, monkeypatch):
    from evidence import services

    update(job, status=ExportJob.RUNNING, task_id="export-1-first", progress=40)
    assert services.export_run(job_id=job.pk, task_id="export-1-second").progress == 40

    monkeypatch.setattr(services, "build_pack", lambda data: (_ for _ in ()).throw(RuntimeError("boom")))
    again = services.export_run(job_id=job.pk, task_id="export-1-first")
    assert again.status == ExportJob.FAILED and "internal error (RuntimeError)" in again.error


def test_losing_the_database_is_raised_for_a_retry_not_recorded_as_a_failure(job, monkeypatch):
    from django.db import OperationalError

    from evidence import services

    def lost(data: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "build_pack", lost)
    with pytest.raises(OperationalError):
        services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.RUNNING and job.error == ""


def test_the_soft_time_limit_ends_the_export_failed_saying_so(job, monkeypatch, settings):
    from celery.exceptions import SoftTimeLimitExceeded

    from evidence import services

    settings.JOB_TIME_LIMITS = {**settings.JOB_TIME_LIMITS, "evidence.export": {"soft": 600, "hard": 660}}

    def wedged(data: Any) -> Any:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "build_pack", wedged)
    ended = services.export_run(job_id=job.pk)
    assert ended.status == ExportJob.FAILED and ended.failure == "time_limit"
    assert ended.error.startswith("The export ran longer than its time limit (10 min) and was stopped.")
