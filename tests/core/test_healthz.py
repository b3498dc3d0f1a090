"""/healthz names what is down (database, broker, worker, storage) with a short reason, never the
exception text, host names or credentials; it counts workers against an expected number when one
is configured. 200 when everything is fine, 503 otherwise."""

from __future__ import annotations

import errno
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

LEAKS = ("Error", "Traceback", "refused", "127.0.0.1", "secret", "/srv/")


def get(client: Any) -> tuple[int, dict[str, Any], str]:
    resp = client.get("/healthz")
    text = resp.content.decode()
    for leak in LEAKS:
        assert leak not in text, text
    return resp.status_code, resp.json(), text


def test_no_worker_is_named_as_down(client):
    status, body, _ = get(client)
    assert status == 503
    assert body["status"] == "degraded"
    assert body["down"] == ["worker"]
    assert body["checks"]["worker"]["detail"] == "no worker heartbeat in the last 30 s"
    for name in ("database", "broker", "storage"):
        assert body["checks"][name] == {"ok": True, "detail": "ok"}


def test_everything_up_is_200(client):
    from core.signals import beat_once

    beat_once("worker@test")
    status, body, _ = get(client)
    assert status == 200, body
    assert body["status"] == "ok" and body["down"] == []
    assert body["checks"]["worker"]["detail"] == "1 worker(s) seen in the last 30 s"


def test_fewer_workers_than_expected_is_degraded(client, settings):
    from core.signals import beat_once

    settings.EXPECTED_WORKERS = 2
    beat_once("worker-1@test")
    status, body, _ = get(client)
    assert status == 503
    assert body["down"] == ["worker"]
    assert body["checks"]["worker"]["detail"] == "1 of 2 expected worker(s) seen in the last 30 s"
    assert "worker-1" not in str(body)  # host names stay private

    beat_once("worker-2@test")
    status, body, _ = get(client)
    assert status == 200
    assert body["checks"]["worker"] == {
        "ok": True,
        "detail": "2 of 2 expected worker(s) seen in the last 30 s",
    }


def test_an_unreachable_broker_is_named_without_its_address(client, monkeypatch):
    from core.signals import beat_once
    from workflowos.celery import app

    beat_once("worker@test")
    # A real connection attempt to a closed port, with a password in the URL that must not leak.
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://:secret@127.0.0.1:1/0")
    status, body, _ = get(client)
    assert status == 503
    assert body["down"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "detail": "cannot connect to the job queue (broker)"}


def test_the_storage_probe_leaves_nothing_behind(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    _status, body, _ = get(client)
    assert body["checks"]["storage"] == {"ok": True, "detail": "ok"}
    probes = tmp_path / "media" / "healthz"
    assert probes.is_dir() and list(probes.iterdir()) == []


def test_storage_that_cannot_be_written_is_named(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    settings.MEDIA_ROOT = blocker / "media"
    status, body, _ = get(client)
    assert status == 503
    assert "storage" in body["down"]
    assert body["checks"]["storage"] == {"ok": False, "detail": "cannot write a file to storage"}
    assert "not-a-folder" not in str(body)


def test_full_storage_is_named_as_full(client, monkeypatch):
    from django.core.files.storage import default_storage

    def full(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/secret/media/healthz/probe")

    monkeypatch.setattr(default_storage, "save", full)
    status, body, _ = get(client)
    assert status == 503
    assert body["checks"]["storage"] == {"ok": False, "detail": "storage is full: files cannot be written"}
