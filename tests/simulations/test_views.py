"""The simulation pages: start a run, follow it (htmx partial), the finished report, cancel,
re-run, downloads, escaping of user-typed text."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from kombu.exceptions import OperationalError

from simulations.models import SimulationRun
from simulations.services import simulation_execute, simulation_start

pytestmark = pytest.mark.django_db

FORM = {
    "n": "20000",
    "seed": "7",
    "version": "1",
    "max_escape_rate": "1",
    "min_availability": "99.5",
    "max_p99_latency_ms": "",
}


def index_url(wf):
    return f"/studio/{wf.pk}/simulations/"


def run_url(run):
    return f"/studio/{run.workflow_id}/simulations/{run.pk}/"


def finished_run(wf, user, **kw):
    kw.setdefault("n", 20_000)
    kw.setdefault("seed", 7)
    run = simulation_start(workflow=wf, user=user, enqueue=False, **kw)
    return simulation_execute(run_id=run.pk)


def test_the_index_shows_the_form_with_a_random_seed_and_the_tab(personas, workflow, client_for):
    html = client_for(personas.pat).get(index_url(workflow)).content.decode()
    assert 'data-testid="start-form"' in html
    seed = re.search(r'name="seed" id="id_seed" min="0" step="1" value="(\d+)"', html)
    assert seed and int(seed.group(1)) >= 0
    assert 'value="100000"' in html and 'value="1"' in html and 'value="99.5"' in html
    assert f'href="/studio/{workflow.pk}/simulations/" aria-current="page">Simulations</a>' in html
    assert 'data-testid="no-runs"' in html


def test_starting_a_run_from_the_page_redirects_to_its_report(
    personas, guarded_workflow, client_for, eager, django_capture_on_commit_callbacks
):
    c = client_for(personas.pat)
    with django_capture_on_commit_callbacks(execute=True):
        resp = c.post(index_url(guarded_workflow), {**FORM, "max_p99_latency_ms": "90000"})
    run = SimulationRun.objects.get()
    assert resp.status_code == 302 and resp["Location"] == run_url(run)
    assert run.params["tolerances"] == {
        **run.params["tolerances"],
        "max_escape_rate": 0.01,
        "min_availability": 0.995,
        "max_p99_latency_ms": 90000.0,
    }
    html = c.get(run_url(run)).content.decode()
    assert 'data-testid="verdict"' in html and 'data-testid="matrix"' in html
    assert "<svg" in html and 'data-testid="domain-escape-svg"' in html
    assert "p99 latency" in html  # the third check appears because a tolerance was set
    assert (
        f"workflowos simulate workflow-{guarded_workflow.pk}-v1.json --runs 20000 --seed 7 --max-p99-latency-ms 90000"
        in html
    )
    assert run.report_hash in html
    assert "hx-trigger" not in html  # finished: no more polling
    listing = c.get(index_url(guarded_workflow)).content.decode()
    assert f'data-run="{run.pk}"' in listing
    assert ("Pass" if run.passed else "Fail") in listing


def test_an_invalid_form_is_shown_again_with_errors(personas, workflow, client_for):
    resp = client_for(personas.pat).post(
        index_url(workflow), {**FORM, "n": "2000000", "max_escape_rate": "abc"}
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "At most 1,000,000 requests per run." in html
    assert not SimulationRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_shows_a_clear_message_not_a_500(personas, workflow, client_for, monkeypatch):
    from simulations.tasks import simulation_run_task

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(simulation_run_task, "apply_async", down)
    resp = client_for(personas.pat).post(index_url(workflow), FORM)
    assert resp.status_code == 503
    html = resp.content.decode()
    assert "The job queue is unavailable" in html
    assert "Failed" in html  # the attempt is listed, marked failed
    assert SimulationRun.objects.get().failure == "queue_unavailable"


def test_a_running_run_polls_a_partial_with_progress_and_cancel(personas, workflow, client_for):
    run = simulation_start(workflow=workflow, user=personas.pat, n=100_000, seed=1, enqueue=False)
    SimulationRun.objects.filter(pk=run.pk).update(status="running", progress_done=40_000)
    c = client_for(personas.pat)
    page = c.get(run_url(run)).content.decode()
    assert 'hx-trigger="every 1s"' in page and '<meta http-equiv="refresh" content="3">' in page
    partial = c.get(run_url(run), HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="run-body"') and "<html" not in partial
    assert 'value="40000" max="100000"' in partial and "40,000</strong> of 100,000 requests (40 %)" in partial
    assert 'data-testid="cancel"' in partial


def test_a_queued_run_without_a_worker_says_so(personas, workflow, client_for):
    run = simulation_start(workflow=workflow, user=personas.pat, n=1000, seed=1, enqueue=False)
    html = client_for(personas.pat).get(run_url(run)).content.decode()
    assert "Waiting for a worker" in html and 'data-testid="no-worker"' in html


def test_cancel_from_the_page(personas, workflow, client_for):
    run = simulation_start(workflow=workflow, user=personas.pat, n=1000, seed=1, enqueue=False)
    c = client_for(personas.pat)
    resp = c.post(run_url(run) + "cancel/", HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and 'data-status="cancelled"' in resp.content.decode()
    assert SimulationRun.objects.get(pk=run.pk).status == "cancelled"
    # Again, without htmx: a redirect and a message, not an error.
    resp = c.post(run_url(run) + "cancel/")
    assert resp.status_code == 302
    assert "already finished" in c.get(resp["Location"]).content.decode()


def test_rerun_starts_a_new_run_with_the_same_inputs(
    personas, workflow, client_for, eager, django_capture_on_commit_callbacks
):
    first = finished_run(workflow, personas.pat, params={"tolerances": {"max_escape_rate": 0.5}})
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_for(personas.pat).post(run_url(first) + "rerun/")
    second = SimulationRun.objects.exclude(pk=first.pk).get()
    assert resp["Location"] == run_url(second)
    assert (second.n, second.seed, second.params, second.version_id) == (
        first.n,
        first.seed,
        first.params,
        first.version_id,
    )
    assert second.report_hash == first.report_hash


def test_journal_report_and_params_downloads(personas, workflow, client_for):
    run = finished_run(workflow, personas.pat, n=3_000, params={"scenario_weights": {"benign": 2.0}})
    c = client_for(personas.pat)
    plain = c.get(run_url(run) + "journal/")
    assert plain.status_code == 200 and plain["Content-Type"].startswith("application/jsonl")
    assert plain["Content-Disposition"] == f'attachment; filename="simulation-{run.pk}-journal.jsonl"'
    body = b"".join(plain.streaming_content)
    lines = body.decode().splitlines()
    assert len(lines) == 3_000 and json.loads(lines[2])["index"] == 2
    zipped = c.get(run_url(run) + "journal/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(zipped.streaming_content)) == body
    report = c.get(run_url(run) + "report.json")
    assert json.loads(report.content) == run.report
    params = c.get(run_url(run) + "params.json")
    assert json.loads(params.content) == run.params
    # Overrides beyond the three tolerances: the reproduce line uses the parameters file.
    html = c.get(run_url(run)).content.decode()
    assert f"--params simulation-{run.pk}-params.json" in html


def test_no_journal_before_the_run_is_done(personas, workflow, client_for):
    run = simulation_start(workflow=workflow, user=personas.pat, n=1000, seed=1, enqueue=False)
    c = client_for(personas.pat)
    assert c.get(run_url(run) + "journal/").status_code == 404
    assert c.get(run_url(run) + "report.json").status_code == 404


def test_a_failed_run_shows_why_and_offers_to_run_again(personas, workflow, client_for):
    run = simulation_start(workflow=workflow, user=personas.pat, n=1000, seed=1, enqueue=False)
    SimulationRun.objects.filter(pk=run.pk).update(
        status="failed", failure="worker_stopped", error="The worker stopped while running this simulation."
    )
    html = client_for(personas.pat).get(run_url(run)).content.decode()
    assert "The worker stopped while running this simulation." in html and 'data-testid="rerun"' in html


def test_user_typed_text_is_escaped_in_the_report(personas, client_for):
    from studio.format import parse_document
    from studio.services import workflow_create
    from tests.studio.helpers import small_doc

    doc = small_doc('<script>alert("wf")</script>')
    doc["nodes"].insert(
        1, {"id": "flt", "type": "injection_filter", "label": '<img src=x onerror="alert(1)">'}
    )
    doc["edges"] = [
        {"id": "e1", "from": "in", "to": "flt", "kind": "data"},
        {"id": "e2", "from": "flt", "to": "llm", "kind": "data"},
        {"id": "e3", "from": "llm", "to": "out", "kind": "data"},
    ]
    wf = workflow_create(organisation=personas.acme, author=personas.pat, document=parse_document(doc))
    run = finished_run(wf, personas.pat, n=5_000)
    html = client_for(personas.pat).get(run_url(run)).content.decode()
    assert "<script>alert" not in html and '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&lt;script&gt;alert(&quot;wf&quot;)&lt;/script&gt;" in html


def test_a_run_of_another_workflow_is_not_found_under_this_one(
    personas, workflow, guarded_workflow, client_for
):
    run = simulation_start(workflow=guarded_workflow, user=personas.pat, n=1000, seed=1, enqueue=False)
    assert client_for(personas.pat).get(f"/studio/{workflow.pk}/simulations/{run.pk}/").status_code == 404
