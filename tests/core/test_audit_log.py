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


# --- the seal: what a chain alone cannot show ------------------------------------------------


def _recompute(chain: str, from_sequence: int) -> None:
    from core.audit import _event_hash, _fields

    prev = AuditEvent.objects.get(chain=chain, sequence=from_sequence - 1).hash
    for ev in AuditEvent.objects.filter(chain=chain, sequence__gte=from_sequence).order_by("sequence"):
        ev.prev_hash = prev
        ev.hash = _event_hash(prev, _fields(ev))
        AuditEvent.objects.filter(pk=ev.pk).update(prev_hash=ev.prev_hash, hash=ev.hash)
        prev = ev.hash


def test_deleting_the_last_event_is_detected():
    _three_events()
    assert audit_log_verify(chain="audit").ok
    AuditEvent.objects.filter(chain="audit").order_by("-sequence").first().delete()
    result = audit_log_verify(chain="audit")
    assert not result.ok and "deleted" in result.problem


def test_an_edit_with_every_later_hash_recomputed_is_detected():
    _three_events()
    ev = AuditEvent.objects.filter(chain="audit", action="test.step").order_by("sequence")[1]
    AuditEvent.objects.filter(pk=ev.pk).update(data={"n": 99})
    _recompute("audit", ev.sequence)
    result = audit_log_verify(chain="audit")
    assert not result.ok and "recomputed" in result.problem


def test_a_forged_append_is_detected():
    from core.audit import _event_hash, _fields

    _three_events()
    last = AuditEvent.objects.filter(chain="audit").order_by("-sequence").first()
    forged = AuditEvent(
        chain="audit",
        sequence=last.sequence + 1,
        created=last.created,
        action="assessment.passed",
        object_type="assessment",
        object_id="A-1",
        data={},
        prev_hash=last.hash,
    )
    forged.hash = _event_hash(last.hash, _fields(forged))
    forged.save()
    result = audit_log_verify(chain="audit")
    assert not result.ok and "appended outside the application" in result.problem


def test_a_forged_seal_is_detected():
    from core.models import AuditSeal

    _three_events()
    AuditEvent.objects.filter(chain="audit").order_by("-sequence").first().delete()
    last = AuditEvent.objects.filter(chain="audit").order_by("-sequence").first()
    AuditSeal.objects.filter(chain="audit").update(sequence=last.sequence, hash=last.hash)
    result = audit_log_verify(chain="audit")
    assert not result.ok and "seal was forged" in result.problem


def test_a_rolled_back_seal_is_caught_by_the_copy_outside_the_database(
    django_capture_on_commit_callbacks, settings, tmp_path
):
    from core.audit import audit_chain_seal
    from core.models import AuditSeal

    settings.WITNESS_FILES = True
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"  # the seal file beside this test's own keys
    audit_chain_seal(chain="audit")

    with django_capture_on_commit_callbacks(execute=True):
        _three_events()
    old = AuditSeal.objects.get(chain="audit")
    with django_capture_on_commit_callbacks(execute=True):
        _three_events()
    # The attacker restores the older (validly MACed) seal and deletes the events after it.
    AuditEvent.objects.filter(chain="audit", sequence__gt=old.sequence).delete()
    AuditSeal.objects.filter(chain="audit").update(sequence=old.sequence, hash=old.hash, mac=old.mac)
    result = audit_log_verify(chain="audit")
    assert not result.ok and "rolled back" in result.problem
