"""Per-organisation job quotas: concurrent jobs and starts per hour, simulations and exports
together, counted from the job rows; 429 with Retry-After in the API, a clear message on pages,
and the usage shown where jobs are started."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.quotas import job_quota_check, job_usage
from evidence.models import ExportJob
from evidence.services import export_request
from lib.errors import DomainError
from simulations.models import SimulationRun
from simulations.services import simulation_start
from tests.studio.helpers import make_workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def quotas(settings):  # type: ignore[no-untyped-def]
    settings.WORKFLOWOS_JOB_QUOTAS = {"starts_per_hour": 6, "concurrent": 2}
    return settings.WORKFLOWOS_JOB_QUOTAS


@pytest.fixture
def wf(personas):  # type: ignore[no-untyped-def]
    return make_workflow(personas.acme, personas.pat, "Quota")


def _queue_simulation(wf, user):  # type: ignore[no-untyped-def]
    return simulation_start(workflow=wf, user=user, n=100, seed=1, enqueue=False)


def _queue_export(wf, user):  # type: ignore[no-untyped-def]
    return export_request(
        organisation=wf.organisation, user=user, versions=[wf.versions.get()], enqueue=False
    )


def _post(client, url, body=None):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_defaults_are_60_starts_an_hour_and_4_concurrent(settings):
    assert settings.WORKFLOWOS_JOB_QUOTAS == {"starts_per_hour": 60, "concurrent": 4}


def test_usage_counts_simulations_and_exports_of_one_organisation(personas, wf, quotas):
    _queue_simulation(wf, personas.pat)
    done = _queue_export(wf, personas.pat)
    ExportJob.objects.filter(pk=done.pk).update(status=ExportJob.DONE)
    old = _queue_simulation(wf, personas.pat)
    SimulationRun.objects.filter(pk=old.pk).update(
        status=SimulationRun.DONE, created=timezone.now() - timedelta(hours=2)
    )
    usage = job_usage(organisation_id=personas.acme.pk)
    assert (usage.active, usage.started_last_hour) == (1, 2)
    assert usage.summary() == "1 of 2 concurrent jobs running · 2 of 6 starts this hour"
    other = job_usage(organisation_id=personas.globex.pk)
    assert (other.active, other.started_last_hour) == (0, 0)


def test_concurrent_limit_refuses_the_next_job_with_429_and_retry_after(personas, wf, quotas, client_for):
    _queue_simulation(wf, personas.pat)
    _queue_export(wf, personas.pat)
    c = client_for(personas.pat)
    for url in (f"/api/workflows/{wf.pk}/simulations/", f"/api/workflows/{wf.pk}/exports/"):
        resp = _post(c, url, {"n": 100} if "simulations" in url else {})
        assert resp.status_code == 429, url
        body = resp.json()
        assert body["error"] == "quota_exceeded"
        assert "2 simulations and exports queued or running, the limit is 2" in body["message"]
        assert int(resp["Retry-After"]) > 0
    assert SimulationRun.objects.count() == 1 and ExportJob.objects.count() == 1  # nothing recorded
    # Another organisation is not affected.
    gus_wf = make_workflow(personas.globex, personas.gus, "Theirs")
    assert (
        _post(client_for(personas.gus), f"/api/workflows/{gus_wf.pk}/simulations/", {"n": 100}).status_code
        == 202
    )
    # A finished job frees its slot.
    SimulationRun.objects.filter(workflow=wf).update(status=SimulationRun.DONE)
    assert _post(c, f"/api/workflows/{wf.pk}/simulations/", {"n": 100}).status_code == 202


def test_starts_per_hour_limit_with_retry_after_until_the_oldest_start_leaves_the_hour(
    personas, wf, quotas, client_for
):
    quotas["concurrent"] = 0  # off: only the hourly limit counts here
    for _ in range(6):
        _queue_simulation(wf, personas.pat)
    SimulationRun.objects.update(status=SimulationRun.DONE)
    first = SimulationRun.objects.order_by("created").first()
    SimulationRun.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(minutes=50))
    resp = _post(client_for(personas.pat), f"/api/workflows/{wf.pk}/exports/", {})
    assert resp.status_code == 429
    assert "started 6 jobs in the last hour, the limit is 6" in resp.json()["message"]
    assert 9 * 60 <= int(resp["Retry-After"]) <= 10 * 60 + 1
    # Once that start is more than an hour old, a job may start again.
    SimulationRun.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(minutes=61))
    assert job_quota_check(organisation_id=personas.acme.pk).started_last_hour == 5


def test_the_service_refuses_before_validating_anything(personas, wf, quotas):
    quotas["concurrent"] = 1
    _queue_simulation(wf, personas.pat)
    with pytest.raises(DomainError) as exc:
        simulation_start(workflow=wf, user=personas.pat, n=100, seed=1, enqueue=False)
    assert exc.value.status == 429 and exc.value.code == "quota_exceeded" and exc.value.retry_after


def test_zero_turns_a_limit_off(personas, wf, settings):
    settings.WORKFLOWOS_JOB_QUOTAS = {"starts_per_hour": 0, "concurrent": 0}
    for _ in range(6):
        _queue_simulation(wf, personas.pat)
    assert job_usage(organisation_id=personas.acme.pk).summary() == ""


def test_pages_show_the_usage_and_refuse_with_a_clear_message(personas, wf, quotas, client_for):
    c = client_for(personas.pat)
    _queue_simulation(wf, personas.pat)
    page = c.get(f"/studio/{wf.pk}/simulations/").content.decode()
    assert "1 of 2 concurrent jobs running · 1 of 6 starts this hour" in page
    evidence = c.get(f"/evidence/workflows/{wf.pk}/").content.decode()
    assert "1 of 2 concurrent jobs running" in evidence
    _queue_export(wf, personas.pat)
    full = c.get("/evidence/").content.decode()
    assert "2 of 2 concurrent jobs running" in full and "at the limit" in full
    # The simulation form answers 429 with the message as a form error.
    resp = c.post(
        f"/studio/{wf.pk}/simulations/",
        {"n": 100, "seed": 1, "version": 1, "max_escape_rate": 5, "min_availability": 95},
    )
    assert resp.status_code == 429
    assert "the limit is 2" in resp.content.decode()
    # The export button redirects back with the message.
    resp = c.post(f"/evidence/workflows/{wf.pk}/", follow=True)
    assert "the limit is 2" in resp.content.decode()
    assert ExportJob.objects.count() == 1
