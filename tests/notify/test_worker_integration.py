"""Webhooks through a REAL Celery worker (``celery -A workflowos worker`` subprocess, see
tests/simulations/worker.py) to a REAL local HTTP receiver: a status change committed here is
fanned out and delivered by the worker, signed per Standard Webhooks; a 500 is retried with
backoff and the delivery log shows both attempts; a fan-out whose task was lost is picked up by
the sweep."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.simulations.worker import Worker, wait_for
from tests.trustmarks.helpers import ISSUER, lead_assessor

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Worker]:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # The worker reads its settings from the environment.
    monkeypatch.setenv("WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on 127.0.0.1
    monkeypatch.setenv("WORKFLOWOS_WEBHOOK_REQUIRE_HTTPS", "0")
    monkeypatch.setenv("WORKFLOWOS_WEBHOOK_RETRY_BASE_SECONDS", "1")
    monkeypatch.setenv("WORKFLOWOS_PUBLIC_URL", ISSUER)
    w = Worker(Path(settings.MEDIA_ROOT), tmp_path / "worker.log")
    try:
        w.wait_ready()
        yield w
    finally:
        w.stop()


def signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["webhook-signature"])


def test_worker_delivers_signed_webhooks_retries_after_500_and_sweeps(
    personas, make_mark, receiver, worker, client, token_for, monkeypatch
):
    from notify import tasks
    from notify.models import WebhookDelivery
    from trustmarks.services import trust_mark_reinstate, trust_mark_suspend

    mark = make_mark()
    token = token_for(personas.pat)
    resp = client.post(
        "/api/certify/subscriptions/",
        {"mark": mark.mark_id, "url": receiver.url},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert resp.status_code == 201, resp.content
    sub = resp.json()

    # 1. Suspend: fanned out and delivered by the worker; the receiver answers 500, then 200.
    receiver.answer(500, b"temporarily broken")
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Confidential")
    delivery = wait_for(
        "the delivery to succeed",
        lambda: WebhookDelivery.objects.filter(status="delivered", event_type="trustmark.suspended").first(),
        worker,
        timeout=120,
    )
    got = receiver.got()
    assert len(got) == 2
    assert all(signature_ok(sub["secret"], r.headers, r.body) for r in got)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"] == delivery.msg_id
    assert got[1].json()["data"] == {
        **got[1].json()["data"],
        "id": mark.mark_id,
        "status": "suspended",
        "record_url": f"{ISSUER}/verify/{mark.mark_id}",
    }
    log = client.get(
        f"/api/certify/subscriptions/{sub['id']}/deliveries/", HTTP_AUTHORIZATION=f"Token {token}"
    ).json()["results"]
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 200]
    assert log[0]["attempts"][0]["response_excerpt"] == "temporarily broken"

    # 2. A lost task (the broker dropped it): nothing is published for this change; the beat
    #    sweep, run by the worker, fans it out and delivers it.
    monkeypatch.setattr(tasks, "_publish", lambda *args, **kwargs: None)
    trust_mark_reinstate(mark=mark, actor=personas.ada, reason="Fixed", approver=lead_assessor())
    monkeypatch.undo()
    tasks.sweep_task.apply_async()
    wait_for(
        "the swept delivery",
        lambda: WebhookDelivery.objects.filter(
            status="delivered", event_type="trustmark.reinstated"
        ).exists(),
        worker,
        timeout=120,
    )
    assert [r.json()["type"] for r in receiver.got()][-1] == "trustmark.reinstated"
