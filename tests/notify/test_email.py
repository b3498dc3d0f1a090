"""E-mail subscriptions end to end through the outbox: the same answer whatever the address's
state (no enumeration), a signed confirm link, a mail per status change with an unsubscribe
link, and unsubscribing (including RFC 8058 one-click)."""

from __future__ import annotations

import re

import pytest

from tests.trustmarks.helpers import lead_assessor

pytestmark = pytest.mark.django_db


def link(mail, path: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r"https?://\S+" + re.escape(path) + r"\S+/", mail.body)
    assert match, mail.body
    return match.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def notify_latest(mark) -> None:  # type: ignore[no-untyped-def]
    from notify.services import email_notice_send, event_fanout

    _, notices = event_fanout(event_id=mark.events.order_by("-id").first().pk)
    for pk in notices:
        email_notice_send(notice_id=pk)


def test_double_opt_in_notices_and_unsubscribe(
    personas, make_mark, client, mailoutbox, django_capture_on_commit_callbacks
):
    from notify.models import EmailSubscription
    from trustmarks.services import trust_mark_revoke, trust_mark_suspend

    mark = make_mark()
    page = client.get(f"/verify/{mark.mark_id}/subscribe")
    assert page.status_code == 200 and b'name="email"' in page.content
    assert b"feed.atom" in client.get(f"/verify/{mark.mark_id}").content  # linked from the record

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"/verify/{mark.mark_id}/subscribe", {"email": "Buyer@Procure.Example"})
    assert first.status_code == 200
    assert len(mailoutbox) == 1
    confirm_mail = mailoutbox[0]
    assert confirm_mail.to == ["Buyer@procure.example"]
    assert mark.mark_id in confirm_mail.subject
    confirm_path = link(confirm_mail, "/notifications/confirm/")
    assert "/notifications/unsubscribe/" in confirm_mail.body

    # Nothing is sent before confirmation.
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Confidential finding")
    notify_latest(mark)
    assert len(mailoutbox) == 1

    # A scanner following the link confirms nothing; the button does.
    assert b"confirm-button" in client.get(confirm_path).content
    assert EmailSubscription.objects.get().confirmed is None
    done = client.post(confirm_path)
    assert done.status_code == 200 and b'data-testid="confirmed"' in done.content
    assert client.post(confirm_path).status_code == 200  # twice is fine

    # Asking again once confirmed: the same answer, and no mail.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/verify/{mark.mark_id}/subscribe", {"email": "Buyer@procure.example"})
    assert again.status_code == 200
    assert _answer(again) == _answer(first)
    assert len(mailoutbox) == 1

    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Confidential finding", approver=lead_assessor())
    notify_latest(mark)
    assert len(mailoutbox) == 2
    notice = mailoutbox[1]
    assert notice.subject == f"Trust mark {mark.mark_id} ({mark.company_name}) revoked"
    assert "Confidential" not in notice.body
    unsubscribe_path = link(notice, "/notifications/unsubscribe/")
    assert notice.extra_headers["List-Unsubscribe"].endswith(unsubscribe_path + ">")
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # One-click unsubscribe: a POST without a CSRF token, from the mail client.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert client.get(unsubscribe_path).status_code == 200
    resp = strict.post(unsubscribe_path, {"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200 and b'data-testid="unsubscribed"' in resp.content
    assert not EmailSubscription.objects.exists()
    assert strict.post(unsubscribe_path).status_code == 200  # unknown now: the same page


def _answer(resp) -> str:  # type: ignore[no-untyped-def]
    html = resp.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return html


def test_same_answer_for_new_pending_and_confirmed_addresses(
    personas, make_mark, client, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from notify.models import EmailSubscription

    mark = make_mark()
    EmailSubscription.objects.create(
        email="known@procure.example", trust_mark=mark, token="t1", confirmed=timezone.now()
    )
    answers = []
    for email in ("new@procure.example", "new@procure.example", "known@procure.example"):
        with django_capture_on_commit_callbacks(execute=True):
            resp = client.post(f"/verify/{mark.mark_id}/subscribe", {"email": email})
        assert resp.status_code == 200
        answers.append(_answer(resp))
    assert answers[0] == answers[1] == answers[2]
    # One confirmation only: a pending address is not mailed again within 10 minutes.
    assert [m.to for m in mailoutbox] == [["new@procure.example"]]


def test_bad_input_and_bad_links(personas, make_mark, client):
    mark = make_mark()
    bad = client.post(f"/verify/{mark.mark_id}/subscribe", {"email": "<script>@x"})
    assert bad.status_code == 400 and b"<script>@x" not in bad.content
    assert client.post("/verify/TM-99999/subscribe", {"email": "a@b.example"}).status_code == 404
    assert client.post("/notifications/confirm/forged:token/").status_code == 400


def test_confirm_link_expires_after_seven_days(
    personas, make_mark, client, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    import time as time_module

    from notify.models import EmailSubscription

    mark = make_mark()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/verify/{mark.mark_id}/subscribe", {"email": "late@procure.example"})
    path = link(mailoutbox[0], "/notifications/confirm/")
    real = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real() + 8 * 24 * 3600)
    assert client.post(path).status_code == 400
    assert EmailSubscription.objects.get().confirmed is None


def test_subscribe_is_rate_limited_per_client(personas, make_mark, client, settings):
    mark = make_mark()
    codes = [
        client.post(f"/verify/{mark.mark_id}/subscribe", {"email": f"n{i}@x.example"}).status_code
        for i in range(12)
    ]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
