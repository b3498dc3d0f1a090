"""The tamper-evident audit log: append (services only) and verify."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from lib.canonical import canonical_json, sha256_hex

from .models import AuditEvent, AuditSeal

GENESIS = "0" * 64
CHAINS = ("audit", "trustmarks")
SEAL_LABEL = "workflowos audit chain seal v1"


def _event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return sha256_hex(prev_hash + canonical_json(fields))


def _fields(ev: AuditEvent) -> dict[str, Any]:
    return {
        "chain": ev.chain,
        "sequence": ev.sequence,
        "created": ev.created.isoformat(),
        "actor": ev.actor_email,
        "organisation": ev.organisation_id_ref,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "data": ev.data,
    }


def audit_event_append(
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    actor_email: str = "",
    organisation_id: int | None = None,
    data: dict[str, Any] | None = None,
    chain: str = "audit",
) -> AuditEvent:
    """Append one event to a chain. Serialised per chain so sequences never fork."""
    assert chain in CHAINS
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [7_100_000 + CHAINS.index(chain)])
        last = AuditEvent.objects.filter(chain=chain).order_by("-sequence").only("sequence", "hash").first()
        ev = AuditEvent(
            chain=chain,
            sequence=(last.sequence + 1) if last else 1,
            created=timezone.now(),
            actor_email=actor_email,
            organisation_id_ref=organisation_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=data or {},
            prev_hash=last.hash if last else GENESIS,
        )
        # JSON round trip so the hash covers exactly what the database will return.
        ev.data = _roundtrip(ev.data)
        ev.hash = _event_hash(ev.prev_hash, _fields(ev))
        ev.save()
        _seal(chain, ev.sequence, ev.hash)
        return ev


# --- the seal: the chain's end, MACed with a key derived from the signing key ring ---------------


def _seal_mac(chain: str, sequence: int, hash_: str) -> str:
    from lib.instance_keys import instance_ring

    key = instance_ring().derived_secret(SEAL_LABEL)
    return hmac.new(key, f"{chain}\n{sequence}\n{hash_}".encode(), hashlib.sha256).hexdigest()


def _seal_file(chain: str) -> Path:
    return Path(settings.SIGNING_KEYS_DIR) / f"audit-seal-{chain}.txt"


def _seal(chain: str, sequence: int, hash_: str) -> None:
    mac = _seal_mac(chain, sequence, hash_)
    if not AuditSeal.objects.filter(chain=chain).update(sequence=sequence, hash=hash_, mac=mac):
        AuditSeal.objects.create(chain=chain, sequence=sequence, hash=hash_, mac=mac)
    # A copy outside the database, so a database rolled back to an older seal is noticed.
    transaction.on_commit(lambda: _write_seal_file(chain, sequence, hash_, mac))


def _read_seal_file(chain: str) -> tuple[int, str] | None:
    """The (sequence, hash) of the seal file if its MAC verifies."""
    if not settings.WITNESS_FILES:
        return None
    try:
        parts = _seal_file(chain).read_text("ascii").split()
        sequence, hash_, mac = int(parts[0]), parts[1], parts[2]
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return None
    return (sequence, hash_) if hmac.compare_digest(mac, _seal_mac(chain, sequence, hash_)) else None


def _write_seal_file(chain: str, sequence: int, hash_: str, mac: str) -> None:
    import fcntl

    if not settings.WITNESS_FILES:
        return
    path = _seal_file(chain)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return  # best effort (a read-only key directory): the database seal still counts
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        current = os.pread(fd, 512, 0).split()
        if current and current[0].isdigit() and int(current[0]) >= sequence:
            return
        data = f"{sequence} {hash_} {mac}\n".encode("ascii")
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def audit_chain_seal(*, chain: str) -> None:
    """Seal a chain's current end (an instance upgraded from before seals existed)."""
    last = AuditEvent.objects.filter(chain=chain).order_by("-sequence").only("sequence", "hash").first()
    if last is not None:
        _seal(chain, last.sequence, last.hash)


def _roundtrip(data: dict[str, Any]) -> dict[str, Any]:
    import json

    result: dict[str, Any] = json.loads(canonical_json(data))
    return result


@dataclass(frozen=True)
class ChainVerification:
    chain: str
    ok: bool
    count: int
    head: str
    problem: str = ""


def audit_log_verify(*, chain: str = "audit") -> ChainVerification:
    """Recompute the chain; report the first broken event (changed, deleted or reordered)."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for ev in AuditEvent.objects.filter(chain=chain).order_by("sequence").iterator():
        if ev.sequence != expected_seq:
            return ChainVerification(
                chain, False, count, prev, f"event #{expected_seq} is missing (next is #{ev.sequence})"
            )
        if ev.prev_hash != prev:
            return ChainVerification(
                chain,
                False,
                count,
                prev,
                f"event #{ev.sequence} does not follow #{ev.sequence - 1} (prev_hash differs)",
            )
        if _event_hash(prev, _fields(ev)) != ev.hash:
            return ChainVerification(
                chain,
                False,
                count,
                prev,
                f"event #{ev.sequence} ({ev.action}) was altered: its hash does not match its content",
            )
        prev = ev.hash
        expected_seq += 1
        count += 1
    problem = _seal_problem(chain, count, prev)
    if problem:
        return ChainVerification(chain, False, count, prev, problem)
    return ChainVerification(chain, True, count, prev)


def _seal_problem(chain: str, count: int, head: str) -> str:
    """Why the chain's end is not the sealed one ("" when it is)."""
    seal = AuditSeal.objects.filter(chain=chain).first()
    if seal is None:
        return f"the chain's seal is missing ({count} events)" if count else ""
    if not hmac.compare_digest(seal.mac, _seal_mac(chain, seal.sequence, seal.hash)):
        return "the chain's seal was forged or edited"
    if seal.sequence > count:
        return f"events after #{count} were deleted (sealed at #{seal.sequence})"
    if seal.sequence < count:
        return f"events #{seal.sequence + 1}..#{count} were appended outside the application"
    if seal.hash != head:
        return f"event #{count}'s hash is not the sealed one: the chain was recomputed after an edit"
    outside = _read_seal_file(chain)
    if outside is not None and outside[0] > seal.sequence:
        return f"the chain ends at #{seal.sequence} but was sealed at #{outside[0]}: rolled back"
    return ""


def audit_log_head(*, chain: str) -> dict[str, Any]:
    last = AuditEvent.objects.filter(chain=chain).order_by("-sequence").first()
    if last is None:
        return {"chain": chain, "sequence": 0, "hash": GENESIS, "created": None}
    return {"chain": chain, "sequence": last.sequence, "hash": last.hash, "created": last.created.isoformat()}
