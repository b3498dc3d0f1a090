"""A hostile insider with write access to the database (but not to the log key or the key
directory) tampers with the records of a revoked mark. Each kind of tampering must be caught by
``manage.py verify_audit_log``, by ``workflowos verify-log`` against a checkpoint saved before
(where the tampering touches what the log publishes), and must never make the verify API answer
``valid: true`` for the revoked mark.

The kinds (test ids):
 1. audit_edit              an event of the trustmarks audit chain edited in place
 2. audit_delete_middle     a middle audit event deleted
 3. audit_delete_last       the last audit event deleted (truncation of the chain)
 4. audit_swap              two audit events' contents swapped
 5. audit_recompute_chain   an audit event edited and every later hash recomputed
 6. audit_forged_append     a well-chained audit event appended outside the services
 7. event_rewrite           the revocation in TrustMarkEvent history rewritten as a suspension
 8. event_delete            the revocation deleted from TrustMarkEvent history
 9. status_flip             the mark's row set back from revoked to active
10. status_flip_forged_history  row flip plus a forged "reinstated" event in history and audit chain
11. expiry_edit             an active mark's expiry moved five years on
12. credential_swap         a mark's credential replaced by another's
13. log_entry_edit          the log leaf rewritten to "active", its hashes recomputed, row flipped
14. log_truncation          the revocation's log entry deleted, the head rolled back to the
                            previous (validly signed) checkpoint, row flipped
15. log_forged_append       a "reinstated" entry appended with its nodes and head, row flipped
16. log_swap                two log entries' leaves swapped
17. checkpoint_forgery      the head's checkpoint replaced by one claiming a different root
18. node_edit               a stored tree node changed (proofs no longer lead to the root)
19. entry_relabel           the revocation entry filed under another mark, row flipped
20. mark_row_deleted        the revoked mark's row (and so its event history) deleted
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from tests.trustmarks.helpers import lead_assessor
from tests.trustmarks.tlog_helpers import verify_log

pytestmark = pytest.mark.django_db


@dataclass
class Scene:
    revoked: Any
    active: Any
    other: Any
    checkpoint_before_revocation: str


@pytest.fixture
def scene(make_mark, personas, settings, client, tmp_path, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from core.audit import audit_chain_seal
    from trustmarks.models import LogHead
    from trustmarks.services import trust_mark_revoke

    settings.VERIFY_RATE = "100000/m"
    settings.WITNESS_FILES = True  # the copies outside the database (this test's own key directory)
    # This test signs with its own key ring: seal the session's audit chain (rubric load) with it.
    audit_chain_seal(chain="audit")
    with django_capture_on_commit_callbacks(execute=True):
        active = make_mark(company="Active Co")
    with django_capture_on_commit_callbacks(execute=True):
        revoked = make_mark(company="Revoked Co")
    with django_capture_on_commit_callbacks(execute=True):
        other = make_mark(company="Other Co")
    assert verify_log(client, tmp_path, "--update") == 0  # a relying party saves a checkpoint
    before = LogHead.objects.get().checkpoint
    with django_capture_on_commit_callbacks(execute=True):
        revoked = trust_mark_revoke(
            mark=revoked, actor=personas.ada, reason="Assessed service withdrawn", approver=lead_assessor()
        )
    return Scene(revoked, active, other, before)


def _fresh() -> None:
    """Time passes: this process's cached answers are gone."""
    from django.core.cache import cache

    from trustmarks import verify_cache

    cache.clear()
    verify_cache.reset()


def _audit(action: str, mark_id: str) -> Any:
    from core.models import AuditEvent

    return AuditEvent.objects.get(chain="trustmarks", action=action, object_id=mark_id)


def _flip(mark: Any) -> None:
    from trustmarks.models import TrustMark

    TrustMark.objects.filter(pk=mark.pk).update(status="active", status_reason="")


def _recompute_audit_chain(from_sequence: int) -> None:
    from core.audit import _event_hash, _fields
    from core.models import AuditEvent

    prev = AuditEvent.objects.get(chain="trustmarks", sequence=from_sequence - 1).hash
    for ev in AuditEvent.objects.filter(chain="trustmarks", sequence__gte=from_sequence).order_by("sequence"):
        ev.prev_hash = prev
        ev.hash = _event_hash(prev, _fields(ev))
        AuditEvent.objects.filter(pk=ev.pk).update(prev_hash=ev.prev_hash, hash=ev.hash)
        prev = ev.hash


def _forge_entry(leaf: dict[str, Any]) -> None:
    """Append a log entry the way the service does, but without the key (the old signature stays)."""
    from lib import merkle
    from trustmarks import tlog
    from trustmarks.models import LogEntry, LogHead, LogNode

    head = LogHead.objects.get()
    data = tlog.leaf_bytes(leaf)
    h = merkle.leaf_hash(data)
    created, frontier = merkle.nodes_completed_by(head.size, tlog._frontier(head), h)
    LogEntry.objects.create(
        index=head.size,
        mark_number=int(leaf["mark"][3:]),
        kind=leaf["kind"],
        leaf=data.decode(),
        leaf_hash=h.hex(),
    )
    LogNode.objects.bulk_create(
        [LogNode(key=tlog._node_key(lv, ix), hash=hv.hex()) for (lv, ix), hv in created]
    )
    LogHead.objects.filter(pk=head.pk).update(
        size=head.size + 1, frontier=",".join(x.hex() for x in frontier)
    )


def _leaf_of(mark: Any) -> tuple[Any, dict[str, Any]]:
    from trustmarks.models import LogEntry

    entry = LogEntry.objects.filter(mark_number=mark.number).order_by("-index").first()
    return entry, json.loads(entry.leaf)


# --- the tamperings ------------------------------------------------------------------------------


def audit_edit(s: Scene) -> None:
    from core.models import AuditEvent

    ev = _audit("trust_mark.issued", s.revoked.mark_id)
    AuditEvent.objects.filter(pk=ev.pk).update(data={**ev.data, "company": "Someone Else"})


def audit_delete_middle(s: Scene) -> None:
    _audit("trust_mark.issued", s.revoked.mark_id).delete()


def audit_delete_last(s: Scene) -> None:
    _audit("trust_mark.revoked", s.revoked.mark_id).delete()


def audit_swap(s: Scene) -> None:
    from core.models import AuditEvent

    a = _audit("trust_mark.issued", s.revoked.mark_id)
    b = _audit("trust_mark.issued", s.other.mark_id)
    AuditEvent.objects.filter(pk=a.pk).update(data=b.data, object_id=b.object_id)
    AuditEvent.objects.filter(pk=b.pk).update(data=a.data, object_id=a.object_id)


def audit_recompute_chain(s: Scene) -> None:
    from core.models import AuditEvent

    ev = _audit("trust_mark.revoked", s.revoked.mark_id)
    AuditEvent.objects.filter(pk=ev.pk).update(
        action="trust_mark.suspended", data={**ev.data, "status": "suspended"}
    )
    _recompute_audit_chain(ev.sequence)


def audit_forged_append(s: Scene) -> None:
    from core.audit import audit_event_append

    audit_event_append(
        action="trust_mark.reinstated",
        object_type="trust_mark",
        object_id=s.revoked.mark_id,
        data={"mark": s.revoked.mark_id, "status": "active"},
        chain="trustmarks",
    )


def event_rewrite(s: Scene) -> None:
    s.revoked.events.filter(action="revoked").update(action="suspended", to_status="suspended")


def event_delete(s: Scene) -> None:
    s.revoked.events.filter(action="revoked").delete()


def status_flip(s: Scene) -> None:
    _flip(s.revoked)


def status_flip_forged_history(s: Scene) -> None:
    from trustmarks.models import TrustMarkEvent

    _flip(s.revoked)
    audit_forged_append(s)
    TrustMarkEvent.objects.create(
        trust_mark=s.revoked, action="reinstated", from_status="revoked", to_status="active"
    )


def expiry_edit(s: Scene) -> None:
    from trustmarks.models import TrustMark

    TrustMark.objects.filter(pk=s.active.pk).update(expires=s.active.expires + timedelta(days=5 * 365))
    _flip(s.revoked)  # and the revoked one, so the verify API check below bites too


def credential_swap(s: Scene) -> None:
    from trustmarks.models import TrustMark

    TrustMark.objects.filter(pk=s.revoked.pk).update(credential_jwt=s.other.credential_jwt, status="active")


def log_entry_edit(s: Scene) -> None:
    from lib import merkle
    from trustmarks import tlog
    from trustmarks.models import LogEntry, LogNode

    entry, leaf = _leaf_of(s.revoked)
    leaf.update(kind="reinstated", status="active")
    data = tlog.leaf_bytes(leaf)
    h = merkle.leaf_hash(data).hex()
    LogEntry.objects.filter(pk=entry.pk).update(leaf=data.decode(), leaf_hash=h)
    LogNode.objects.filter(key=tlog._node_key(0, entry.index)).update(hash=h)
    _flip(s.revoked)


def log_truncation(s: Scene) -> None:
    from lib.checkpoint import parse_checkpoint_text, parse_note
    from trustmarks import tlog
    from trustmarks.models import LogEntry, LogHead, LogNode

    entry, _ = _leaf_of(s.revoked)
    old = parse_checkpoint_text(parse_note(s.checkpoint_before_revocation)[0])
    LogEntry.objects.filter(index__gte=old.size).delete()
    LogNode.objects.filter(
        key__in=[tlog._node_key(0, entry.index), tlog._node_key(1, 1), tlog._node_key(2, 0)]
    ).delete()
    # The attacker rebuilds the head of size 3 (from the saved nodes) with the old, valid signature.
    from lib import merkle

    tree = merkle.MemoryTree()
    for e in LogEntry.objects.order_by("index"):
        tree.append_hash(bytes.fromhex(e.leaf_hash))
    LogHead.objects.update(
        size=old.size,
        frontier=",".join(h.hex() for h in tree.frontier),
        checkpoint=s.checkpoint_before_revocation,
    )
    s.revoked.events.filter(action="revoked").delete()
    _audit("trust_mark.revoked", s.revoked.mark_id).delete()
    _flip(s.revoked)


def log_forged_append(s: Scene) -> None:
    from django.utils import timezone

    from trustmarks import tlog

    _, leaf = _leaf_of(s.revoked)
    _forge_entry(
        tlog.leaf_for(
            kind="reinstated",
            mark_id=s.revoked.mark_id,
            status="active",
            expires=leaf["expires"],
            credential_sha256=leaf["credential_sha256"],
            time=timezone.now(),
        )
    )
    _flip(s.revoked)


def log_swap(s: Scene) -> None:
    from trustmarks.models import LogEntry

    a, b = LogEntry.objects.get(index=0), LogEntry.objects.get(index=1)
    LogEntry.objects.filter(pk=0).update(leaf=b.leaf, leaf_hash=b.leaf_hash, mark_number=b.mark_number)
    LogEntry.objects.filter(pk=1).update(leaf=a.leaf, leaf_hash=a.leaf_hash, mark_number=a.mark_number)
    _flip(s.revoked)


def checkpoint_forgery(s: Scene) -> None:
    import base64

    from trustmarks.models import LogHead

    note = LogHead.objects.get().checkpoint
    lines = note.split("\n")
    lines[2] = base64.b64encode(b"\x07" * 32).decode()
    LogHead.objects.update(checkpoint="\n".join(lines))
    _flip(s.revoked)


def node_edit(s: Scene) -> None:
    from trustmarks import tlog
    from trustmarks.models import LogNode

    LogNode.objects.filter(key=tlog._node_key(1, 0)).update(hash="00" * 32)
    _flip(s.revoked)


def entry_relabel(s: Scene) -> None:
    from trustmarks.models import LogEntry

    entry, _ = _leaf_of(s.revoked)
    LogEntry.objects.filter(pk=entry.pk).update(mark_number=s.other.number)
    _flip(s.revoked)


def mark_row_deleted(s: Scene) -> None:
    from trustmarks.models import TrustMark

    TrustMark.objects.filter(pk=s.revoked.pk).delete()


# kind, detected by verify-log (publishes what it touches), changes a verify answer
KINDS = [
    (audit_edit, False),
    (audit_delete_middle, False),
    (audit_delete_last, False),
    (audit_swap, False),
    (audit_recompute_chain, False),
    (audit_forged_append, False),
    (event_rewrite, False),
    (event_delete, False),
    (status_flip, True),
    (status_flip_forged_history, True),
    (expiry_edit, True),
    (credential_swap, True),
    (log_entry_edit, True),
    (log_truncation, True),
    (log_forged_append, True),
    (log_swap, True),
    (checkpoint_forgery, True),
    (node_edit, True),
    (entry_relabel, True),
    (mark_row_deleted, True),
]


@pytest.mark.parametrize(("tamper", "published"), KINDS, ids=[k.__name__ for k, _ in KINDS])
def test_tampering_is_detected(tamper, published, scene, client, tmp_path, capsys):  # type: ignore[no-untyped-def]
    # Untampered, everything checks out.
    call_command("verify_audit_log")
    assert verify_log(client, tmp_path, "--mark", scene.revoked.mark_id) == 0
    capsys.readouterr()

    tamper(scene)
    _fresh()

    # 1. verify_audit_log names it and exits 1.
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit_log")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "BROKEN" in err

    # 2. The verify API never says valid for the revoked mark; the record page does not either.
    resp = client.get(f"/api/certify/trust-mark/verify?id={scene.revoked.mark_id}")
    body = json.loads(resp.content)
    assert body["valid"] is False
    if tamper is mark_row_deleted:
        assert resp.status_code == 404
    elif published:
        assert resp.status_code == 409 and body["error"] == "log_mismatch"
        page = client.get(f"/verify/{scene.revoked.mark_id}")
        assert page.status_code == 409 and b"cannot be verified" in page.content
    else:
        assert body["status"] == "revoked"

    # 3. A relying party with the checkpoint saved before the revocation notices.
    code = verify_log(client, tmp_path, "--mark", scene.revoked.mark_id)
    out = capsys.readouterr().out
    if published:
        assert code == 1, out
        assert "FAILED" in out
    else:
        # The audit chain is not published; the log a relying party checks is intact.
        assert code == 0, out
        assert f"{scene.revoked.mark_id} is revoked" in out


def test_truncation_is_caught_by_a_saved_checkpoint_even_without_the_witness(
    scene, client, tmp_path, settings, capsys
):  # type: ignore[no-untyped-def]
    """The witness file lost too (e.g. another host): verify-log and --checkpoint still catch it."""
    from trustmarks import tlog

    assert verify_log(client, tmp_path, "--update") == 0  # saved at size 4, after the revocation
    saved = (tmp_path / "saved.txt").read_text()
    log_truncation(scene)
    (settings.SIGNING_KEYS_DIR / tlog.WITNESS_FILE).unlink()
    _fresh()
    capsys.readouterr()
    assert verify_log(client, tmp_path, "--mark", scene.revoked.mark_id) == 1
    assert "the log shrank from 4 to 3 entries" in capsys.readouterr().out
    path = tmp_path / "cp.txt"
    path.write_text(saved)
    with pytest.raises(SystemExit):
        call_command("verify_audit_log", "--checkpoint", str(path))
    assert "saved checkpoint has 4 entries, the log only 3" in capsys.readouterr().err


def test_a_fork_is_caught(scene, client, tmp_path, capsys):  # type: ignore[no-untyped-def]
    """A log re-signed with the real key but different history (key theft) fails consistency."""
    from trustmarks import tlog
    from trustmarks.models import LogEntry, LogHead, LogNode

    assert verify_log(client, tmp_path, "--update") == 0
    leaves = [json.loads(e.leaf) for e in LogEntry.objects.order_by("index")]
    leaves[3].update(kind="suspended", status="suspended")  # history rewritten...
    LogEntry.objects.all().delete()
    LogNode.objects.all().delete()
    LogHead.objects.all().delete()
    tlog.append_leaves(leaves)  # ...and signed with the stolen key
    tlog.append_leaves([leaves[0]])
    capsys.readouterr()
    assert verify_log(client, tmp_path) == 1
    assert "not an extension of your checkpoint" in capsys.readouterr().out
