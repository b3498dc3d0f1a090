"""The simulation API: start (202 + job URL), follow, list, cancel, journal, errors, OpenAPI."""

from __future__ import annotations

import json

import pytest
from kombu.exceptions import OperationalError

from simulations.models import SimulationRun
from simulations.services import simulation_execute, simulation_start

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_start_answers_202_with_the_job_url(
    personas, guarded_workflow, client_for, eager, django_capture_on_commit_callbacks
):
    c = client_for(personas.pat)
    with django_capture_on_commit_callbacks(execute=True):
        resp = post(
            c,
            f"/api/workflows/{guarded_workflow.pk}/simulations/",
            {"n": 20000, "seed": 42, "params": {"tolerances": {"max_escape_rate": 0.02}}},
        )
    assert resp.status_code == 202
    body = resp.json()
    run = SimulationRun.objects.get()
    assert body["url"] == f"http://testserver/api/simulations/{run.pk}/" == resp["Location"]
    assert body["status"] in ("queued", "running", "done")
    assert (body["n"], body["seed"], body["version"], body["workflow_hash"]) == (
        20000,
        42,
        1,
        run.workflow_hash,
    )

    job = c.get(body["url"]).json()
    assert job["status"] == "done" and job["progress"] == {"done": 20000, "total": 20000, "percent": 100}
    assert job["report_hash"] == run.report_hash and job["passed"] is run.passed
    assert job["verdict"]["checks"][0] == {
        **job["verdict"]["checks"][0],
        "check": "escape_rate",
        "tolerated": 0.02,
    }
    assert job["summary"]["requests"] == 20000
    assert job["report"]["matrix"]["rows"]
    assert (
        job["reproduce"]
        == f"workflowos simulate workflow-{guarded_workflow.pk}-v1.json --runs 20000 --seed 42 --max-escape-rate 0.02"
    )
    assert job["journal_url"] == body["url"] + "journal/"
    lines = b"".join(c.get(job["journal_url"]).streaming_content).decode().splitlines()
    assert len(lines) == 20000


def test_defaults_a_random_seed_and_ten_thousand_requests(personas, workflow, client_for, monkeypatch):
    from simulations.tasks import simulation_run_task

    monkeypatch.setattr(simulation_run_task, "apply_async", lambda **kw: None)
    resp = post(client_for(personas.pat), f"/api/workflows/{workflow.pk}/simulations/", {})
    assert resp.status_code == 202
    assert resp.json()["n"] == 10000 and isinstance(resp.json()["seed"], int)


@pytest.mark.parametrize(
    "body, path, message",
    [
        ({"n": 1_000_001}, "n", "at most 1,000,000 requests per run"),
        ({"n": "10"}, "n", "valid integer"),
        ({"n": 100, "seed": -1}, "seed", "the seed must be a whole number"),
        (
            {"n": 100, "params": {"tolerances": {"min_availability": 2}}},
            "params.tolerances.min_availability",
            "less than or equal to 1",
        ),
        (
            {"n": 100, "params": {"node_overrides": {"ghost": {}}}},
            "params.node_overrides.ghost",
            "no node with this id",
        ),
        ({"n": 100, "colour": "red"}, "colour", "Extra inputs are not permitted"),
        ({"n": 100, "version": 9}, "version", "not found"),
    ],
)
def test_bad_requests_answer_400_with_field_paths(personas, workflow, client_for, body, path, message):
    resp = post(client_for(personas.pat), f"/api/workflows/{workflow.pk}/simulations/", body)
    assert resp.status_code == 400, resp.content
    err = resp.json()
    assert err["error"] == "invalid"
    assert any(e["path"] == path and message in e["message"] for e in err["errors"]), err
    assert not SimulationRun.objects.exists()


def test_n_above_the_cap_says_so_in_the_message(personas, workflow, client_for):
    resp = post(client_for(personas.pat), f"/api/workflows/{workflow.pk}/simulations/", {"n": 5_000_000})
    assert resp.json()["message"] == "At most 1,000,000 requests per run."


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_answers_503_queue_unavailable(personas, workflow, client_for, monkeypatch):
    from simulations.tasks import simulation_run_task

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(simulation_run_task, "apply_async", down)
    resp = post(client_for(personas.pat), f"/api/workflows/{workflow.pk}/simulations/", {"n": 1000})
    assert resp.status_code == 503
    assert (
        resp.json()["error"] == "queue_unavailable" and "job queue is unavailable" in resp.json()["message"]
    )
    assert SimulationRun.objects.get().status == "failed"


def test_list_and_cancel(personas, workflow, client_for):
    c = client_for(personas.pat)
    done = simulation_execute(
        run_id=simulation_start(workflow=workflow, user=personas.pat, n=2000, seed=1, enqueue=False).pk
    )
    queued = simulation_start(workflow=workflow, user=personas.pat, n=2000, seed=2, enqueue=False)
    listing = c.get(f"/api/workflows/{workflow.pk}/simulations/").json()
    assert listing["count"] == 2 and [r["id"] for r in listing["results"]] == [queued.pk, done.pk]
    assert "report" not in listing["results"][1] and listing["results"][1]["report_hash"] == done.report_hash

    resp = c.post(f"/api/simulations/{queued.pk}/cancel/")
    assert resp.status_code == 202 and resp.json()["status"] == "cancelled"
    resp = c.post(f"/api/simulations/{done.pk}/cancel/")
    assert resp.status_code == 409 and resp.json()["error"] == "conflict"


def test_the_job_of_a_running_run_shows_progress_without_a_report(personas, workflow, client_for):
    run = simulation_start(workflow=workflow, user=personas.pat, n=100_000, seed=1, enqueue=False)
    SimulationRun.objects.filter(pk=run.pk).update(status="running", progress_done=60_000)
    job = client_for(personas.pat).get(f"/api/simulations/{run.pk}/").json()
    assert job["status"] == "running" and job["progress"]["percent"] == 60
    assert "report" not in job and "journal_url" not in job
    assert client_for(personas.pat).get(f"/api/simulations/{run.pk}/journal/").status_code == 404


def test_openapi_documents_the_endpoints(personas, client_for):
    schema = client_for(None).get("/api/schema/?format=json")
    paths = (
        json.loads(schema.content)["paths"] if schema["Content-Type"].startswith("application/json") else None
    )
    if paths is None:
        import yaml

        paths = yaml.safe_load(schema.content)["paths"]
    assert "/api/workflows/{workflow_id}/simulations/" in paths
    start = paths["/api/workflows/{workflow_id}/simulations/"]["post"]
    assert "202" in start["responses"] and "503" in start["responses"]
    for p in (
        "/api/simulations/{run_id}/",
        "/api/simulations/{run_id}/cancel/",
        "/api/simulations/{run_id}/journal/",
    ):
        assert p in paths
