"""The trust-mark transparency log: an RFC 9162 Merkle tree over every issuance and status change,
with C2SP checkpoints signed by the log's own Ed25519 key.

* **Append** (``append_for_event``, called by ``trustmarks.services`` in the transaction that
  records the change): one leaf, the canonical JSON of ``{kind, mark, status, expires,
  credential_sha256, time, event, audit}`` (never the confidential reason), the complete
  subtrees it finishes, and a newly signed checkpoint, all under a lock on the head row so
  indexes never collide. After commit the checkpoint is also written to a *witness file* beside
  the signing keys, outside the database, so a database rolled back to an older (validly signed)
  state is noticed.
* **Read** (``checkpoint_text``, ``entries``, ``inclusion``, ``consistency``): what the public API
  serves; proofs come from the stored subtree hashes in one query.
* **Check** (``mark_check`` on every verify answer, ``log_verify`` for ``verify_audit_log``):
  the mark's row must agree with its latest entry, which must be inside the signed checkpoint;
  the full check recomputes the tree and ties it to the trust-mark events and audit chain.

The log key: ``WORKFLOWOS_TLOG_KEY`` (a Go-style signer key ``PRIVATE+KEY+name+id+base64``), or
derived (HKDF) from the first key of the instance signing ring, named
``<host of PUBLIC_URL>/trust-marks/log``, so every web and worker host signs with the same key
without another secret to share. The name is the checkpoints' origin line. Its verifier key is
published at ``/.well-known/tlog-key``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from lib import merkle
from lib.canonical import canonical_json
from lib.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    parse_checkpoint_text,
    parse_note,
)
from lib.errors import DomainError, ErrorItem

from .tlog_models import LogEntry, LogHead, LogNode

log = logging.getLogger(__name__)

HEAD = "main"
KEY_ENV_VAR = "WORKFLOWOS_TLOG_KEY"
DERIVATION_LABEL = "workflowos transparency log key v1"
WITNESS_FILE = "tlog-checkpoint.txt"
# "reissued": the credential was signed again without a status change (e.g. a new key id form);
# log it with append_for_mark(mark, kind="reissued") in the transaction that saves the new one.
KINDS = ("issued", "suspended", "reinstated", "revoked", "renewed", "expired", "reissued")
MAX_PAGE = 1000
LEVEL_SHIFT = 48


class LogIntegrityError(Exception):
    """The log, or a row that the log vouches for, has been tampered with."""


# --- the key --------------------------------------------------------------------------------------


def default_origin() -> str:
    parts = urllib.parse.urlsplit(settings.PUBLIC_URL)
    host = (parts.netloc or "localhost").replace("+", "-")
    return f"{host}{parts.path.rstrip('/')}/trust-marks/log"


def _skey(signer: NoteSigner) -> str:
    from cryptography.hazmat.primitives import serialization

    seed = signer.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    data = base64.b64encode(b"\x01" + seed).decode("ascii")
    return f"PRIVATE+KEY+{signer.name}+{signer.verifier.id:08x}+{data}"


def generate_skey(name: str) -> str:
    """A new signer key string (secret) for ``WORKFLOWOS_TLOG_KEY``."""
    return _skey(NoteSigner(name, Ed25519PrivateKey.generate()))


@lru_cache(maxsize=8)
def _signer_from(value: str) -> NoteSigner:
    try:
        return NoteSigner.from_skey(value)
    except NoteError as exc:
        raise DomainError(f"transparency-log key: {exc}") from exc


def _key_dir() -> Path:
    return Path(settings.SIGNING_KEYS_DIR)


@lru_cache(maxsize=8)
def _derived_signer(name: str, seed: bytes) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def log_signer() -> NoteSigner:
    """The log's signing key: ``WORKFLOWOS_TLOG_KEY`` when set, else derived from the instance
    key ring's first key (the same on every host and through rotations, nothing more to back up)."""
    value = os.environ.get(KEY_ENV_VAR, "").strip()
    if value:
        return _signer_from(value)
    from lib.instance_keys import instance_ring

    return _derived_signer(default_origin(), instance_ring().derived_secret(DERIVATION_LABEL))


def log_verifier() -> NoteVerifier:
    return log_signer().verifier


def origin() -> str:
    return log_signer().name


# --- witness file (a copy of the latest checkpoint outside the database) ------------------------


def _witness_path() -> Path:
    return _key_dir() / WITNESS_FILE


def witness_checkpoint() -> Checkpoint | None:
    """The checkpoint last written to the witness file (signature checked), or ``None``."""
    if not settings.WITNESS_FILES:
        return None
    try:
        text = _witness_path().read_text("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return _opened(text)


_last_witness: dict[str, int] = {}  # the note this process last wrote → its size (no re-verifying)


def _write_witness(note: str, size: int | None = None) -> None:
    """Write ``note`` to the witness file unless it already holds a larger checkpoint.

    Written in place under an exclusive ``flock`` (a rename costs a hundred times more on a busy
    disk, and every append writes here): a reader that catches a half-written file sees no valid
    signature and skips the witness check for that moment, never a wrong answer. ``size`` is
    given by the append that just signed ``note`` (no need to verify our own signature).
    """
    import fcntl

    if size is None:
        opened = _opened(note)
        if opened is None:
            return
        size = opened.size
    path = _witness_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        current = os.pread(fd, 64 * 1024, 0).decode("utf-8", "replace")
        old_size = _last_witness.get(current)
        if old_size is None and current:
            old = _opened(current)
            old_size = old.size if old is not None else None
        if old_size is not None and old_size >= size:
            return  # never move the witness backwards (a slower process committing an older append)
        data = note.encode("utf-8")
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))
        _last_witness.clear()
        _last_witness[note] = size
    finally:
        os.close(fd)  # closing releases the lock


@lru_cache(maxsize=256)
def _opened_cached(note: str, vkey: str) -> Checkpoint | None:
    try:
        return open_checkpoint(note, NoteVerifier.parse(vkey))
    except NoteError:
        return None


def _opened(note: str) -> Checkpoint | None:
    """The checkpoint of ``note`` if the log key signed it (cached per process)."""
    return _opened_cached(note, log_verifier().vkey)


# --- leaves ---------------------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def leaf_for(
    *,
    kind: str,
    mark_id: str,
    status: str,
    expires: date | str,
    credential_sha256: str,
    time: datetime,
    event_id: int | None = None,
    audit_hash: str = "",
) -> dict[str, Any]:
    if kind not in KINDS:
        raise DomainError(f"unknown log entry kind {kind!r}")
    return {
        "v": 1,
        "kind": kind,
        "mark": mark_id,
        "status": status,
        "expires": expires if isinstance(expires, str) else expires.isoformat(),
        "credential_sha256": credential_sha256,
        "time": _time(time),
        "event": event_id,
        "audit": audit_hash,
    }


def leaf_bytes(leaf: dict[str, Any]) -> bytes:
    return canonical_json(leaf).encode("utf-8")


def mark_number_of(mark_id: str) -> int | None:
    return int(mark_id[3:]) if mark_id.startswith("TM-") and mark_id[3:].isdigit() else None


# --- appending ------------------------------------------------------------------------------------


def _node_key(level: int, index: int) -> int:
    return (level << LEVEL_SHIFT) | index


def _frontier(head: LogHead) -> list[bytes]:
    return [bytes.fromhex(h) for h in head.frontier.split(",") if h]


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _locked_head(cur: Any) -> tuple[int, list[bytes]]:
    """The head's size and frontier, its row locked until the transaction ends."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT size, frontier FROM {_table(LogHead)} WHERE name = %s{lock}"  # noqa: S608 - fixed names
    cur.execute(sql, [HEAD])
    row = cur.fetchone()
    if row is None:  # the very first append
        LogHead.objects.get_or_create(name=HEAD)
        cur.execute(sql, [HEAD])
        row = cur.fetchone()
    return int(row[0]), [bytes.fromhex(h) for h in str(row[1]).split(",") if h]


def append_leaves(leaves: list[dict[str, Any]]) -> list[LogEntry]:
    """Append leaves in one transaction under the head lock, then sign one new checkpoint.

    Returns the new entries. Every complete subtree the leaves finish is stored, so any proof
    later costs one query. Plain SQL (four statements): an append is on every status change and
    the ORM's overhead was most of its cost.
    """
    if not leaves:
        return []
    signer = log_signer()
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cur:
        size, frontier = _locked_head(cur)
        entries: list[LogEntry] = []
        nodes: list[tuple[int, str]] = []
        now = timezone.now()
        for leaf in leaves:
            data = leaf_bytes(leaf)
            h = merkle.leaf_hash(data)
            created, frontier = merkle.nodes_completed_by(size, frontier, h)
            nodes.extend((_node_key(lv, ix), hv.hex()) for (lv, ix), hv in created)
            entries.append(
                LogEntry(
                    index=size,
                    mark_number=mark_number_of(str(leaf.get("mark", ""))),
                    kind=str(leaf["kind"]),
                    leaf=data.decode("utf-8"),
                    leaf_hash=h.hex(),
                    created=now,
                )
            )
            size += 1
        stamp = connection.ops.adapt_datetimefield_value(now)
        cur.executemany(
            f"INSERT INTO {_table(LogEntry)} (leaf_index, mark_number, kind, leaf, leaf_hash, created) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(e.index, e.mark_number, e.kind, e.leaf, e.leaf_hash, stamp) for e in entries],
        )
        cur.executemany(
            f"INSERT INTO {_table(LogNode)} ({q('key')}, {q('hash')}) VALUES (%s, %s)",  # noqa: S608
            nodes,
        )
        checkpoint = Checkpoint(signer.name, size, merkle.root_from_frontier(frontier))
        note = signer.sign(checkpoint.text())
        cur.execute(
            f"UPDATE {_table(LogHead)} SET size = %s, frontier = %s, checkpoint = %s, updated = %s "  # noqa: S608
            "WHERE name = %s",
            [size, ",".join(h.hex() for h in frontier), note, stamp, HEAD],
        )
        transaction.on_commit(lambda: _write_witness_quietly(note, size))
    return entries


def _write_witness_quietly(note: str, size: int) -> None:
    if not settings.WITNESS_FILES:
        return
    try:
        _write_witness(note, size)
    except OSError:
        log.warning("could not write the transparency-log witness file", exc_info=True)


def _audit_hash(sequence: int | None) -> str:
    from core.models import AuditEvent

    if sequence is None:
        return ""
    row = AuditEvent.objects.filter(chain="trustmarks", sequence=sequence).values_list("hash", flat=True)
    return next(iter(row), "")


def append_for_event(event: Any) -> LogEntry:
    """Log a ``TrustMarkEvent`` just recorded (same transaction): the mark's state after it."""
    mark = event.trust_mark
    leaf = leaf_for(
        kind=event.action,
        mark_id=mark.mark_id,
        status=event.to_status,
        expires=mark.expires,
        credential_sha256=_sha256(mark.credential_jwt),
        time=event.created,
        event_id=event.pk,
        audit_hash=_audit_hash(event.audit_sequence),
    )
    return append_leaves([leaf])[0]


def append_for_mark(mark: Any, *, kind: str) -> LogEntry:
    """Log a mark's current state without an event: any change to a mark's status, expiry or
    credential outside ``services._record`` must call this in the same transaction, or the
    verify API refuses the mark (its row no longer matches the log)."""
    leaf = leaf_for(
        kind=kind,
        mark_id=mark.mark_id,
        status=mark.status,
        expires=mark.expires,
        credential_sha256=_sha256(mark.credential_jwt),
        time=timezone.now(),
    )
    return append_leaves([leaf])[0]


def backfill(*, out: list[str] | None = None) -> int:
    """Log, once, every trust-mark event that has no entry yet (marks issued before the log).

    Historical values come from the event's record in the ``trustmarks`` audit chain; a mark's
    last event is logged with the row as it is now (trust on first use), and any difference
    from the audit record is reported in ``out``.
    """
    from core.models import AuditEvent

    from .models import TrustMarkEvent

    out = out if out is not None else []
    logged = set()
    for text in LogEntry.objects.values_list("leaf", flat=True).iterator():
        event_id = json.loads(text).get("event")
        if event_id is not None:
            logged.add(event_id)
    events = list(
        TrustMarkEvent.objects.select_related("trust_mark").order_by("created", "id").exclude(pk__in=logged)
    )
    if not events:
        return 0
    audit = {
        ev.sequence: ev
        for ev in AuditEvent.objects.filter(
            chain="trustmarks", sequence__in=[e.audit_sequence for e in events if e.audit_sequence]
        )
    }
    last_of_mark = {e.trust_mark_id: e.pk for e in events}
    leaves = []
    for event in events:
        mark = event.trust_mark
        record = audit.get(event.audit_sequence or -1)
        data = record.data if record is not None else {}
        expires = str(data.get("expires") or mark.expires.isoformat())
        credential = str(data.get("credential_sha256") or _sha256(mark.credential_jwt))
        if last_of_mark[mark.pk] == event.pk:
            now_expires, now_credential = mark.expires.isoformat(), _sha256(mark.credential_jwt)
            if (expires, credential) != (now_expires, now_credential) or event.to_status != mark.status:
                out.append(f"{mark.mark_id}: the row differs from its last audit record; logged the row")
            expires, credential = now_expires, now_credential
        leaves.append(
            leaf_for(
                kind=event.action,
                mark_id=mark.mark_id,
                status=mark.status if last_of_mark[mark.pk] == event.pk else event.to_status,
                expires=expires,
                credential_sha256=credential,
                time=event.created,
                event_id=event.pk,
                audit_hash=record.hash if record is not None else "",
            )
        )
    append_leaves(leaves)
    return len(leaves)


def rebuild_for_demo(*, out: list[str] | None = None) -> int:
    """Demo data only (``seed_demo``, refused in production): drop the log and log every event
    again. The demo back-dates its marks' histories after creating them (a mark "issued eight
    months ago"); logging them afresh keeps the demo's log true to its (back-dated) history,
    where leaving the first entries would rightly read as history rewritten."""
    if settings.PRODUCTION:
        raise RuntimeError("the transparency log is never rebuilt in production")
    with transaction.atomic():
        LogNode.objects.all().delete()
        LogEntry.objects.all().delete()
        LogHead.objects.all().delete()
        count = backfill(out=out)
    if settings.WITNESS_FILES:
        _witness_path().unlink(missing_ok=True)
        _last_witness.clear()
        head = _head()
        if head is not None and head.checkpoint:
            _write_witness(head.checkpoint, head.size)
    return count


# --- reading --------------------------------------------------------------------------------------


def _head() -> LogHead | None:
    return LogHead.objects.filter(name=HEAD).first()


def signed_checkpoint() -> tuple[str, Checkpoint]:
    """The latest signed checkpoint (an empty log gets one signed for size 0)."""
    head = _head()
    if head is None or not head.checkpoint:
        signer = log_signer()
        note = signer.sign(Checkpoint(signer.name, 0, merkle.EMPTY_ROOT).text())
        return note, Checkpoint(signer.name, 0, merkle.EMPTY_ROOT)
    checkpoint = _opened(head.checkpoint)
    if checkpoint is None:
        raise LogIntegrityError("the stored checkpoint is not signed by the log key")
    return head.checkpoint, checkpoint


def fetch_nodes(keys: Iterable[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    wanted = {_node_key(level, index): (level, index) for level, index in keys}
    rows = LogNode.objects.filter(key__in=list(wanted)).values_list("key", "hash")
    return {wanted[key]: bytes.fromhex(h) for key, h in rows}


def _size_arg(size: int | None, checkpoint: Checkpoint) -> int:
    if size is None:
        return checkpoint.size
    if not 1 <= size <= checkpoint.size:
        message = f"tree_size must be between 1 and {checkpoint.size}."
        raise DomainError(message, [ErrorItem("tree_size", message)], code="invalid_tree_size")
    return size


@dataclass(frozen=True)
class Entry:
    index: int
    leaf: str
    leaf_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "leaf": json.loads(self.leaf), "leaf_hash": self.leaf_hash}


def entries(*, start: int, end: int) -> list[Entry]:
    """Entries ``start <= index < end`` within the signed checkpoint."""
    _, checkpoint = signed_checkpoint()
    end = min(end, checkpoint.size)
    rows = LogEntry.objects.filter(index__gte=start, index__lt=end).order_by("index")
    return [Entry(r.index, r.leaf, r.leaf_hash) for r in rows.only("index", "leaf", "leaf_hash")]


def latest_entry_of(mark_id: str, *, below: int) -> LogEntry | None:
    number = mark_number_of(mark_id)
    return (
        LogEntry.objects.filter(mark_number=number, index__lt=below).order_by("-index").first()
        if number is not None
        else None
    )


@dataclass(frozen=True)
class Inclusion:
    index: int
    tree_size: int
    leaf: str
    leaf_hash: str
    proof: list[bytes]
    checkpoint: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tree_size": self.tree_size,
            "leaf": json.loads(self.leaf),
            "leaf_b64": base64.b64encode(self.leaf.encode("utf-8")).decode("ascii"),
            "leaf_hash": self.leaf_hash,
            "proof": [base64.b64encode(h).decode("ascii") for h in self.proof],
            "checkpoint": self.checkpoint,
        }


def inclusion(*, index: int | None = None, mark_id: str | None = None, size: int | None = None) -> Inclusion:
    """The inclusion proof of entry ``index``, or of the latest entry of mark ``mark_id``."""
    note, checkpoint = signed_checkpoint()
    tree_size = _size_arg(size, checkpoint)
    if mark_id is not None:
        entry = latest_entry_of(mark_id, below=tree_size)
        if entry is None:
            raise DomainError(f"{mark_id} has no entry in the log.", status=404, code="not_found")
    else:
        assert index is not None
        if not 0 <= index < tree_size:
            message = f"index must be below the tree size {tree_size}."
            raise DomainError(message, [ErrorItem("index", message)], code="invalid_index")
        entry = LogEntry.objects.filter(index=index).first()
        if entry is None:
            raise LogIntegrityError(f"entry #{index} is missing")
    try:
        proof = merkle.inclusion_proof(entry.index, tree_size, fetch_nodes)
    except merkle.ProofError as exc:
        raise LogIntegrityError(str(exc)) from exc
    return Inclusion(entry.index, tree_size, entry.leaf, entry.leaf_hash, proof, note)


def consistency(*, first: int, second: int | None = None) -> tuple[int, int, list[bytes], str]:
    note, checkpoint = signed_checkpoint()
    second = checkpoint.size if second is None else second
    if second > checkpoint.size:
        message = f"second must be at most the tree size {checkpoint.size}."
        raise DomainError(message, [ErrorItem("second", message)], code="invalid_tree_size")
    if not 0 <= first <= second:
        message = "first must be between 0 and second."
        raise DomainError(message, [ErrorItem("first", message)], code="invalid_tree_size")
    try:
        proof = merkle.consistency_proof(first, second, fetch_nodes)
    except merkle.ProofError as exc:
        raise LogIntegrityError(str(exc)) from exc
    return first, second, proof, note


# --- the check behind every verify answer ----------------------------------------------------------


def _mark_check_once(mark_id: str, load_mark: Any) -> Any:
    mark = load_mark()
    if mark is None:
        return None
    _, checkpoint = signed_checkpoint()
    witness = witness_checkpoint()
    if witness is not None and witness.size > checkpoint.size:
        raise LogIntegrityError(
            f"the log holds {checkpoint.size} entries but had {witness.size}: it was rolled back"
        )
    entry = latest_entry_of(mark_id, below=checkpoint.size)
    if entry is None:
        raise LogIntegrityError(f"{mark_id} has no entry in the signed log")
    data = entry.leaf.encode("utf-8")
    h = merkle.leaf_hash(data)
    try:
        leaf = json.loads(data)
        merkle.verify_inclusion(
            entry.index,
            checkpoint.size,
            h,
            merkle.inclusion_proof(entry.index, checkpoint.size, fetch_nodes),
            checkpoint.root,
        )
    except (ValueError, merkle.ProofError) as exc:
        raise LogIntegrityError(f"{mark_id}'s latest entry #{entry.index} is not in the signed tree") from exc
    if leaf.get("mark") != mark_id:
        raise LogIntegrityError(f"entry #{entry.index} is about {leaf.get('mark')}, not {mark_id}")
    needle = f'"mark":{json.dumps(mark_id)}'
    if LogEntry.objects.filter(index__gt=entry.index, leaf__contains=needle).exists():
        raise LogIntegrityError(f"{mark_id} has a later entry than #{entry.index} that its lookup hides")
    row = {
        "status": mark.status,
        "expires": mark.expires.isoformat(),
        "credential_sha256": _sha256(mark.credential_jwt),
    }
    for key, value in row.items():
        if leaf.get(key) != value:
            raise LogIntegrityError(
                f"{mark_id}: the record's {key} ({value}) differs from the log's ({leaf.get(key)})"
            )
    return mark


def mark_check(mark_id: str, load_mark: Any) -> Any:
    """Load the mark (``load_mark()``) and check its row against its latest log entry.

    Returns the mark (``None`` if there is no such mark); raises :class:`LogIntegrityError` when
    the row, the log or the witness disagree. A change committed between the reads can make
    them disagree for a moment, so a disagreement is read again once before it counts.
    """
    try:
        return _mark_check_once(mark_id, load_mark)
    except LogIntegrityError:
        return _mark_check_once(mark_id, load_mark)


# --- the full check (verify_audit_log) --------------------------------------------------------------


@dataclass
class LogReport:
    ok: bool = True
    size: int = 0
    root: str = ""
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


def _iter_entries() -> Iterator[LogEntry]:
    return LogEntry.objects.order_by("index").iterator(chunk_size=2000)


def log_verify(*, saved: str | None = None) -> LogReport:
    """Recompute the whole log and tie it to the marks, their events and the audit chain.

    Detects: an unsigned or forged checkpoint; a missing, extra, edited or reordered entry or
    tree node; a log shorter than the witness file or ``saved`` (a checkpoint text someone kept)
    or inconsistent with them; a mark row that differs from its latest entry; a trust-mark event
    edited, deleted or added outside the log; an audit-chain event of a mark rewritten,
    removed or forged.
    """
    from core.models import AuditEvent

    from .models import TrustMark, TrustMarkEvent

    report = LogReport()
    head = _head()
    checkpoint: Checkpoint | None
    if head is None or not head.checkpoint:
        checkpoint = Checkpoint(origin(), 0, merkle.EMPTY_ROOT)
        head_size = 0
    else:
        checkpoint = _opened(head.checkpoint)
        head_size = head.size
        if checkpoint is None:
            report.fail("the stored checkpoint is not signed by the log key (forged or edited)")
            with contextlib.suppress(NoteError):
                checkpoint = parse_checkpoint_text(parse_note(head.checkpoint)[0])
        if checkpoint is not None and checkpoint.size != head.size:
            report.fail(f"the head says {head.size} entries, its signed checkpoint {checkpoint.size}")
    # Rebuild the tree from the leaves.
    tree = merkle.MemoryTree()
    leaves: dict[int, dict[str, Any]] = {}
    stored_hashes: dict[int, str] = {}
    for entry in _iter_entries():
        if entry.index != tree.size:
            report.fail(f"entry #{tree.size} is missing (next is #{entry.index})")
            break
        h = merkle.leaf_hash(entry.leaf.encode("utf-8"))
        if h.hex() != entry.leaf_hash:
            report.fail(f"entry #{entry.index} was edited: its leaf hash does not match its content")
        try:
            leaf = json.loads(entry.leaf)
        except ValueError:
            leaf = {}
            report.fail(f"entry #{entry.index} is not JSON")
        if leaf.get("mark") is not None and mark_number_of(str(leaf["mark"])) != entry.mark_number:
            report.fail(f"entry #{entry.index} is filed under another mark than its leaf names")
        leaves[entry.index] = leaf
        stored_hashes[entry.index] = entry.leaf_hash
        tree.append_hash(h)
    size = tree.size
    report.size = size
    if size != head_size:
        report.fail(f"the log has {size} entries but its head says {head_size} (appended or deleted)")
    if checkpoint is not None and checkpoint.size <= size:
        root = tree.root(checkpoint.size)
        report.root = root.hex()
        if root != checkpoint.root:
            report.fail(
                "the entries do not hash to the signed checkpoint's root (edited, swapped or reordered)"
            )
    # Stored subtree hashes (what proofs are made of) must be the recomputed ones.
    stored_nodes = dict(LogNode.objects.values_list("key", "hash"))
    expected = {_node_key(lv, ix): h.hex() for (lv, ix), h in tree.nodes.items()}
    bad_nodes = [k for k, h in expected.items() if stored_nodes.get(k) != h]
    extra_nodes = set(stored_nodes) - set(expected)
    if bad_nodes or extra_nodes:
        report.fail(f"{len(bad_nodes)} tree node(s) differ from the entries, {len(extra_nodes)} extra")
    # Older checkpoints (the witness file, one a verifier saved) must be prefixes of this log.
    others: list[tuple[str, Checkpoint | None]] = [("witness file", witness_checkpoint())]
    if saved:
        others.append(("saved checkpoint", _opened(saved)))
        if others[-1][1] is None:
            report.fail("the saved checkpoint is not signed by the log key")
    for label, old in others:
        if old is None:
            continue
        if old.size > size:
            report.fail(f"the {label} has {old.size} entries, the log only {size}: truncated or rolled back")
        elif tree.root(old.size) != old.root:
            report.fail(f"the log is not consistent with the {label} at size {old.size}: history rewritten")
    # Mark rows against their latest entries.
    latest: dict[str, dict[str, Any]] = {}
    for index in range(size):
        mark_id = leaves.get(index, {}).get("mark")
        if mark_id:
            latest[str(mark_id)] = leaves[index]
    for mark in TrustMark.objects.all().iterator():
        leaf = latest.get(mark.mark_id)
        if leaf is None:
            report.fail(f"{mark.mark_id} has no entry in the log")
            continue
        for key, value in (
            ("status", mark.status),
            ("expires", mark.expires.isoformat()),
            ("credential_sha256", _sha256(mark.credential_jwt)),
        ):
            if leaf.get(key) != value:
                report.fail(
                    f"{mark.mark_id}: the row's {key} ({value}) differs from the log's ({leaf.get(key)})"
                )
    # Trust-mark events against the entries that logged them.
    by_event = {leaf["event"]: leaf for leaf in leaves.values() if leaf.get("event") is not None}
    seen_events = set()
    for event in TrustMarkEvent.objects.select_related("trust_mark").iterator():
        seen_events.add(event.pk)
        leaf = by_event.get(event.pk)
        if leaf is None:
            report.fail(f"event {event.pk} ({event.trust_mark.mark_id} {event.action}) is not in the log")
            continue
        facts = {
            "kind": event.action,
            "status": event.to_status,
            "mark": event.trust_mark.mark_id,
            "time": _time(event.created),
        }
        changed = [k for k, v in facts.items() if leaf.get(k) != v]
        if changed:
            report.fail(f"event {event.pk} ({event.trust_mark.mark_id}) was rewritten: {', '.join(changed)}")
    for event_id, leaf in by_event.items():
        if event_id not in seen_events:
            report.fail(f"event {event_id} ({leaf.get('mark')} {leaf.get('kind')}) was deleted")
    # The trustmarks audit chain: each mark's event there is anchored by the log's entry.
    anchored = {str(leaf["audit"]): leaf for leaf in leaves.values() if leaf.get("audit")}
    chain = {
        ev.hash: ev
        for ev in AuditEvent.objects.filter(chain="trustmarks", object_type="trust_mark").iterator()
    }
    for audit_hash, leaf in anchored.items():
        ev = chain.get(audit_hash)
        if ev is None:
            report.fail(
                f"the audit event of {leaf.get('mark')} {leaf.get('kind')} is gone or was rewritten "
                "(deleted, or the chain recomputed)"
            )
        elif ev.object_id != leaf.get("mark") or ev.action != f"trust_mark.{leaf.get('kind')}":
            report.fail(f"audit event #{ev.sequence} does not match the log entry that anchors it")
    for audit_hash, ev in chain.items():
        if audit_hash not in anchored:
            report.fail(f"audit event #{ev.sequence} ({ev.action} {ev.object_id}) is not in the log (forged)")
    return report
