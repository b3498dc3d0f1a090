"""Webhooks end to end in this process, against a REAL local HTTP receiver: subscribe with a
token, change a mark's status, the signed request arrives; a 500 is retried; the delivery log
(API and page) shows every attempt; SSRF is refused at delivery time too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.trustmarks.helpers import lead_assessor, review_for_renewal

pytestmark = pytest.mark.django_db


def expected_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    """The Standard Webhooks v1 signature, computed here independently of notify/."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def subscribe(client, token: str, **body):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/certify/subscriptions/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


def fan_out_latest(mark) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    from notify.services import event_fanout

    return event_fanout(event_id=mark.events.order_by("-id").first().pk)


def make_due(delivery_id: int) -> None:
    from notify.models import WebhookDelivery

    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt=timezone.now())


def test_signed_delivery_retried_after_500_and_logged(personas, make_mark, receiver, client, token_for):
    from notify.models import WebhookDelivery
    from notify.services import webhook_deliver
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    token = token_for(personas.pat)
    resp = subscribe(client, token, mark=mark.mark_id, url=receiver.url, events=["trustmark.suspended"])
    assert resp.status_code == 201, resp.content
    created = resp.json()
    secret = created["secret"]
    assert secret.startswith("whsec_")

    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Confidential: PSF-6 queue switched off")
    deliveries, _ = fan_out_latest(mark)
    assert len(deliveries) == 1
    receiver.answer(500, b"x" * 5000)  # then 200

    assert webhook_deliver(delivery_id=deliveries[0]) is not None  # failed: a retry is scheduled
    delivery = WebhookDelivery.objects.get(pk=deliveries[0])
    assert delivery.status == "pending" and delivery.attempts == 1
    assert timezone.now() < delivery.next_attempt < timezone.now() + timedelta(seconds=10)
    assert webhook_deliver(delivery_id=deliveries[0]) is None  # not due yet: nothing is sent
    assert len(receiver.got()) == 1

    make_due(deliveries[0])
    assert webhook_deliver(delivery_id=deliveries[0]) is None
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2

    first, second = receiver.got()
    for request in (first, second):
        assert request.path == "/hooks/wfos"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-signature"] == expected_signature(
            secret, request.headers, request.body
        )
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    # The same message id on every retry (the receiver's idempotency key), the same body.
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.msg_id
    assert first.body == second.body
    payload = second.json()
    assert payload["type"] == "trustmark.suspended"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"]["id"] == mark.mark_id
    assert payload["data"]["status"] == "suspended"
    assert payload["data"]["expires"] == mark.expires.isoformat()
    assert payload["data"]["record_url"].endswith(f"/verify/{mark.mark_id}")
    assert payload["data"]["verify_url"].endswith(f"/api/certify/trust-mark/verify?id={mark.mark_id}")
    assert b"Confidential" not in second.body  # the reason is never sent

    # The delivery log: both attempts, their status codes, a short excerpt of the answer only.
    log = client.get(
        f"/api/certify/subscriptions/{created['id']}/deliveries/", HTTP_AUTHORIZATION=f"Token {token}"
    ).json()["results"]
    assert len(log) == 1 and log[0]["status"] == "delivered" and log[0]["id"] == delivery.msg_id
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 200]
    assert len(log[0]["attempts"][0]["response_excerpt"]) <= 200
    assert log[0]["next_attempt"] is None

    pat = client.__class__()
    pat.force_login(personas.pat)
    page = pat.get(f"/notifications/webhooks/{created['id']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert delivery.msg_id in html and ">500<" in html and ">200<" in html


def test_events_are_filtered_and_issuance_goes_to_every_mark_subscriptions(
    personas, make_mark, receiver, client, token_for
):
    from notify.models import WebhookDelivery
    from trustmarks.services import trust_mark_revoke

    token = token_for(personas.pat)
    assert subscribe(client, token, mark="*", url=receiver.url).status_code == 201
    mark = make_mark(company="Initech")
    issued, _ = fan_out_latest(mark)
    assert len(issued) == 1
    assert WebhookDelivery.objects.get(pk=issued[0]).event_type == "trustmark.issued"
    only_revoked = subscribe(client, token, mark=mark.mark_id, url=receiver.url, events=["trustmark.revoked"])
    assert only_revoked.status_code == 201
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Withdrawn", approver=lead_assessor())
    revoked, _ = fan_out_latest(mark)
    assert len(revoked) == 2  # the "*" subscription and the mark's own
    assert set(WebhookDelivery.objects.filter(pk__in=revoked).values_list("event_type", flat=True)) == {
        "trustmark.revoked"
    }
    # Fanning out the same event again creates nothing.
    assert fan_out_latest(mark) == ([], [])


def test_every_status_change_fans_out_on_commit_with_eager_celery(
    personas, make_mark, receiver, client, token_for, settings, django_capture_on_commit_callbacks
):
    from trustmarks.services import (
        trust_mark_reinstate,
        trust_mark_renew,
        trust_mark_revoke,
        trust_mark_suspend,
        trust_marks_expire,
    )

    settings.CELERY_TASK_ALWAYS_EAGER = True
    mark = make_mark()
    expiring = make_mark(company="Soon Gone", days_ago=366)
    token = token_for(personas.pat)
    for m in (mark, expiring):
        assert subscribe(client, token, mark=m.mark_id, url=receiver.url).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        trust_mark_suspend(mark=mark, actor=personas.ada, reason="r")
    with django_capture_on_commit_callbacks(execute=True):
        trust_mark_reinstate(mark=mark, actor=personas.ada, reason="r", approver=lead_assessor())
    with django_capture_on_commit_callbacks(execute=True):
        review_for_renewal(mark, personas.ada)
        trust_mark_renew(mark=mark, actor=personas.ada, reason="r")
    with django_capture_on_commit_callbacks(execute=True):
        trust_mark_revoke(mark=mark, actor=personas.ada, reason="r", approver=lead_assessor())
    with django_capture_on_commit_callbacks(execute=True):
        trust_marks_expire()
    kinds = [(r.json()["data"]["id"], r.json()["type"]) for r in receiver.got()]
    assert kinds == [
        (mark.mark_id, "trustmark.suspended"),
        (mark.mark_id, "trustmark.reinstated"),
        (mark.mark_id, "trustmark.renewed"),
        (mark.mark_id, "trustmark.revoked"),
        (expiring.mark_id, "trustmark.expired"),
    ]


def test_a_broker_outage_never_breaks_the_status_change(
    personas, make_mark, monkeypatch, django_capture_on_commit_callbacks
):
    from notify import tasks
    from notify.models import EventFanout
    from notify.services import notifications_sweep
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("broker down")

    monkeypatch.setattr(tasks.fanout_task, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        trust_mark_suspend(mark=mark, actor=personas.ada, reason="r")
    mark.refresh_from_db()
    assert mark.status == "suspended"
    # The sweep fans out what the lost task did not.
    assert not EventFanout.objects.filter(event__trust_mark=mark, event__action="suspended").exists()
    result = notifications_sweep()
    assert len(result.fanned_out) >= 1
    assert EventFanout.objects.filter(event__trust_mark=mark, event__action="suspended").exists()


def test_the_sweep_lists_due_deliveries_and_gives_up_after_24_hours(
    personas, make_mark, receiver, token_for, client
):
    from notify.models import WebhookDelivery
    from notify.services import notifications_sweep
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    subscribe(client, token_for(personas.pat), mark=mark.mark_id, url=receiver.url)
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="r")
    (delivery_id,), _ = fan_out_latest(mark)
    assert delivery_id in notifications_sweep().webhooks_due
    past = timezone.now() - timedelta(hours=25)
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        give_up_at=past + timedelta(hours=24), next_attempt=past
    )
    assert notifications_sweep().gave_up == 1
    assert WebhookDelivery.objects.get(pk=delivery_id).status == "failed"


def test_410_gone_disables_the_subscription(personas, make_mark, receiver, client, token_for):
    from notify.models import WebhookDelivery, WebhookSubscription
    from notify.services import webhook_deliver
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    subscribe(client, token_for(personas.pat), mark=mark.mark_id, url=receiver.url)
    receiver.answer(410)
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="r")
    (delivery_id,), _ = fan_out_latest(mark)
    assert webhook_deliver(delivery_id=delivery_id) is None
    assert WebhookDelivery.objects.get(pk=delivery_id).status == "failed"
    assert not WebhookSubscription.objects.get().active


def test_redirects_are_not_followed(personas, make_mark, receiver, client, token_for):
    from notify.models import WebhookDelivery
    from notify.services import webhook_deliver
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    subscribe(client, token_for(personas.pat), mark=mark.mark_id, url=receiver.url)
    receiver.answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="r")
    (delivery_id,), _ = fan_out_latest(mark)
    assert webhook_deliver(delivery_id=delivery_id) is not None  # a 3xx is a failure, retried later
    assert len(receiver.got()) == 1
    assert WebhookDelivery.objects.get(pk=delivery_id).last_status_code == 302


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1"])
def test_ssrf_is_refused_at_delivery_time_too(
    personas, make_mark, receiver, client, token_for, settings, monkeypatch, address
):
    """Subscribed while the name resolved to a public address; it now resolves to a private one
    (DNS rebinding): the attempt is refused without any connection."""
    from notify import targets
    from notify.models import WebhookDelivery
    from notify.services import webhook_deliver
    from trustmarks.services import trust_mark_suspend

    settings.WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE = False
    answers = {"hooks.example": ["93.184.215.14"]}
    monkeypatch.setattr(targets, "resolve", lambda host, port: answers[host])
    mark = make_mark()
    assert (
        subscribe(
            client, token_for(personas.pat), mark=mark.mark_id, url="http://hooks.example/in"
        ).status_code
        == 201
    )
    answers["hooks.example"] = [address]
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="r")
    (delivery_id,), _ = fan_out_latest(mark)
    assert webhook_deliver(delivery_id=delivery_id) is not None
    attempt = WebhookDelivery.objects.get(pk=delivery_id).attempt_log.get()
    assert attempt.status_code is None and attempt.error.startswith("refused:")
    assert address in attempt.error
    assert receiver.got() == []


def test_only_short_retries_ride_a_broker_countdown(monkeypatch, settings):
    from notify import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[dict] = []
    monkeypatch.setattr(tasks.deliver_webhook_task, "apply_async", lambda **kw: sent.append(kw))
    tasks._publish(tasks.deliver_webhook_task, 1, eta=timezone.now() + timedelta(seconds=20))
    tasks._publish(tasks.deliver_webhook_task, 2, eta=timezone.now() + timedelta(hours=2))
    assert [kw["args"] for kw in sent] == [[1]]
    assert 0 < sent[0]["countdown"] <= 20
