from __future__ import annotations

import pytest
from django.core.management import call_command

from core.audit import audit_event_append, audit_log_head, audit_log_verify
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _three_events():
    for i in range(3):
        audit_event_append(
            action="test.step",
            object_type="thing",
            object_id=i,
            actor_email="a@b.example",
            data={"n": i, "text": "é<>"},
        )


def test_chain_verifies_and_head_moves():
    before = audit_log_head(chain="audit")
    _three_events()
    result = audit_log_verify(chain="audit")
    assert result.ok and result.count >= 3
    assert audit_log_head(chain="audit")["hash"] != before["hash"]


def test_altered_event_is_named(capsys):
    _three_events()
    ev = AuditEvent.objects.filter(chain="audit", action="test.step").order_by("sequence")[1]
    AuditEvent.objects.filter(pk=ev.pk).update(data={"n": 99})
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit_log", "--chain", "audit")
    assert exc.value.code == 1
    assert f"#{ev.sequence}" in capsys.readouterr().err


def test_deleted_event_is_detected():
    _three_events()
    ev = AuditEvent.objects.filter(chain="audit", action="test.step").order_by("sequence")[1]
    AuditEvent.objects.filter(pk=ev.pk).delete()
    result = audit_log_verify(chain="audit")
    assert not result.ok
    assert "missing" in result.problem


def test_admin_cannot_edit_the_log(client_for, personas):
    _three_events()
    ev = AuditEvent.objects.first()
    c = client_for(personas.root)
    assert c.get(f"/admin/core/auditevent/{ev.pk}/delete/").status_code == 403
    assert c.post(f"/admin/core/auditevent/{ev.pk}/change/", {"action": "x"}).status_code == 403
