"""The tamper-evident audit log: append (services only) and verify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lib.canonical import canonical_json, sha256_hex

from .models import AuditEvent

GENESIS = "0" * 64
CHAINS = ("audit", "trustmarks")


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
        return ev


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
    return ChainVerification(chain, True, count, prev)


def audit_log_head(*, chain: str) -> dict[str, Any]:
    last = AuditEvent.objects.filter(chain=chain).order_by("-sequence").first()
    if last is None:
        return {"chain": chain, "sequence": 0, "hash": GENESIS, "created": None}
    return {"chain": chain, "sequence": last.sequence, "hash": last.hash, "created": last.created.isoformat()}
