"""W3C Bitstring Status List v1.0: revocation and suspension without telling us which mark is checked.

A status list has at least 131,072 entries, so one list hides any mark among many. Entry ``i``
of a list with ``statusSize`` *s* is the *s* bits starting at bit ``i × s``, read as an unsigned
big-endian number; bit 0 is the left-most (most significant) bit of the first byte. The published
``encodedList`` is the GZIP-compressed bitstring, base64url-encoded without padding, with the
multibase prefix ``u``. Each trust mark gets a *random* unused index (``allocate_index``), so list
position says nothing about issue order.

Three lists are published:

* ``message`` (``statusSize`` 2; the one a credential's single ``credentialStatus`` entry names):
  ``0x0`` active, ``0x1`` suspended, ``0x2`` revoked, ``0x3`` invalid (never used). Open Badges
  3.0 allows one ``credentialStatus`` object, and a one-bit ``revocation`` entry cannot also say
  "suspended" (revocation is final by definition), so both go in one two-bit entry with the
  spec's ``message`` purpose, whose meanings travel in the entry's ``statusMessage``. The mark's
  index in it is its revocation index.
* ``revocation`` and ``suspension`` (one bit each), named by credentials issued before the
  message list existed (two ``credentialStatus`` entries); still kept up to date.

Each is published as a ``BitstringStatusListCredential`` signed as a VC-JWT with the same key
ring as the marks (``sign_status_list_credential``); verifiers use ``verify_status_list_jwt``.
"""

from __future__ import annotations

import gzip
import random
import secrets
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from lib.jws import JwsError, format_vc_time, issuer_id, parse_vc_time, sign_vc_jwt, verify_vc_jwt
from lib.keys import b64url_decode, b64url_encode

if TYPE_CHECKING:
    from lib.keys import KeyRing

MIN_ENTRIES = 131_072
# A hostile list could be a GZIP bomb; 16 Mi entries is 128 times the minimum, far above our needs.
MAX_ENTRIES = 16 * 1024 * 1024 * 8
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"

StatusPurpose = Literal["revocation", "suspension", "message"]
PURPOSES: tuple[StatusPurpose, ...] = ("message", "revocation", "suspension")
LEGACY_PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")

# The message list: two bits per mark, and what each value means (W3C ``statusMessage`` entries).
MESSAGE_STATUS_SIZE = 2
ACTIVE, SUSPENDED, REVOKED, INVALID = 0x0, 0x1, 0x2, 0x3
STATUS_MESSAGES: tuple[tuple[int, str], ...] = (
    (ACTIVE, "active"),
    (SUSPENDED, "suspended"),
    (REVOKED, "revoked"),
    (INVALID, "invalid"),
)


def status_size(purpose: str) -> int:
    """Bits per entry in the ``purpose`` list (2 for ``message``, else 1)."""
    return MESSAGE_STATUS_SIZE if purpose == "message" else 1


def status_message_entries() -> list[dict[str, str]]:
    """The ``statusMessage`` array of a ``message`` entry (``{"status": "0x1", "message": …}``)."""
    return [{"status": hex(value), "message": message} for value, message in STATUS_MESSAGES]


def mark_status_value(purpose: str, status: str) -> int:
    """The entry value that a mark in ``status`` (``active``, ``suspended``, …) has in a list."""
    if purpose == "message":
        return {"suspended": SUSPENDED, "revoked": REVOKED}.get(status, ACTIVE)
    flagged = "revoked" if purpose == "revocation" else "suspended"
    return int(status == flagged)


class StatusListError(ValueError):
    """An encoded list or a status-list credential that cannot be used."""


def new_list(entries: int = MIN_ENTRIES, *, size: int = 1) -> bytearray:
    """An all-zero bitstring of ``entries`` entries of ``size`` bits (entries: a multiple of 8,
    at least 131,072)."""
    if entries < MIN_ENTRIES or entries % 8:
        raise ValueError(f"a status list has a multiple of 8 entries, at least {MIN_ENTRIES}")
    if not 1 <= size <= 8:
        raise ValueError("statusSize is 1 to 8 bits")
    return bytearray(entries * size // 8)


def _position(bits: bytearray | bytes, index: int) -> tuple[int, int]:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} outside the list of {len(bits) * 8} entries")
    return index // 8, 7 - index % 8


def set_bit(bits: bytearray, index: int, value: bool) -> None:
    """Set (``True``) or clear (``False``) the status bit at ``index``, in place."""
    byte, shift = _position(bits, index)
    if value:
        bits[byte] |= 1 << shift
    else:
        bits[byte] &= ~(1 << shift) & 0xFF


def get_bit(bits: bytearray | bytes, index: int) -> bool:
    """The status bit at ``index`` (``True`` = revoked / suspended)."""
    byte, shift = _position(bits, index)
    return bool(bits[byte] >> shift & 1)


def set_value(bits: bytearray, index: int, value: int, size: int) -> None:
    """Set entry ``index`` of a list of ``size``-bit entries to ``value``, in place."""
    if not 0 <= value < 1 << size:
        raise ValueError(f"status value {value} does not fit in {size} bits")
    for offset in range(size):
        set_bit(bits, index * size + offset, bool(value >> (size - 1 - offset) & 1))


def get_value(bits: bytearray | bytes, index: int, size: int) -> int:
    """Entry ``index`` of a list of ``size``-bit entries (most significant bit first)."""
    if index < 0 or (index + 1) * size > len(bits) * 8:
        raise IndexError(f"status index {index} outside the list of {len(bits) * 8 // size} entries")
    value = 0
    for offset in range(size):
        value = value << 1 | get_bit(bits, index * size + offset)
    return value


def encode(bits: bytearray | bytes) -> str:
    """The ``encodedList`` value: ``u`` + base64url(GZIP(bitstring)), deterministic (mtime 0)."""
    if len(bits) * 8 < MIN_ENTRIES:
        raise ValueError(f"a status list has at least {MIN_ENTRIES} entries")
    return "u" + b64url_encode(gzip.compress(bytes(bits), compresslevel=9, mtime=0))


def decode(encoded: str) -> bytearray:
    """The bitstring of an ``encodedList``; ``StatusListError`` if malformed, too short or too big."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList must be multibase base64url (prefix 'u')")
    try:
        compressed = b64url_decode(encoded[1:])
    except ValueError as exc:
        raise StatusListError("encodedList is not base64url") from exc
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP framing only
    try:
        bits = inflater.decompress(compressed, MAX_ENTRIES // 8 + 1)
    except zlib.error as exc:
        raise StatusListError("encodedList is not GZIP data") from exc
    if len(bits) > MAX_ENTRIES // 8 or inflater.unconsumed_tail:
        raise StatusListError("status list too large")
    if not inflater.eof:
        raise StatusListError("encodedList is truncated")
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"status list shorter than {MIN_ENTRIES} entries")
    return bytearray(bits)


def allocate_index(used: set[int], rng: random.Random | None = None, *, entries: int = MIN_ENTRIES) -> int:
    """A random index in ``[0, entries)`` not in ``used``; ``ValueError`` when the list is full."""
    if len(used) >= entries:
        raise ValueError("the status list is full")
    rng = rng or secrets.SystemRandom()
    # Rejection sampling is fast while the list is sparse; past half full, draw from what is free.
    if len(used) < entries // 2:
        while True:
            index = rng.randrange(entries)
            if index not in used:
                return index
    return rng.choice([i for i in range(entries) if i not in used])


def build_status_list_credential(
    *,
    url: str,
    purpose: StatusPurpose,
    encoded_list: str,
    issuer_id: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` published at ``url`` (unsigned; see ``sign_…``).

    Every property is a term of the VC 2.0 context (``statusSize`` belongs to the entries in the
    credentials, not to the list), so strict JSON-LD processors accept it.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"status purpose must be one of {PURPOSES}")
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": format_vc_time(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }
    if valid_until is not None:
        credential["validUntil"] = format_vc_time(valid_until)
    return credential


def sign_status_list_credential(
    credential: Mapping[str, Any], ring: KeyRing, *, issued_at: datetime | None = None
) -> str:
    """The status-list credential as a compact VC-JWT (served as ``application/vc+jwt``)."""
    return sign_vc_jwt(credential, ring, issued_at=issued_at)


@dataclass(frozen=True)
class StatusList:
    """A verified status list: its URL, purposes (``statusPurpose``: one or more), issuer, bits."""

    url: str
    purposes: tuple[str, ...]
    issuer: str
    bits: bytearray

    @property
    def purpose(self) -> str:
        return self.purposes[0] if self.purposes else ""

    def get(self, index: int) -> bool:
        return get_bit(self.bits, index)

    def value(self, index: int, size: int = 1) -> int:
        return get_value(self.bits, index, size)


def verify_status_list_jwt(token: str, jwks: Mapping[str, Any], *, now: datetime) -> StatusList:
    """Verify a status-list VC-JWT (signature, type, validity window) and decode its list.

    Raises ``StatusListError`` with a one-line reason.
    """
    try:
        verified = verify_vc_jwt(token, jwks)
    except JwsError as exc:
        raise StatusListError(f"status list: {exc}") from exc
    cred = verified.credential
    subject = cred.get("credentialSubject")
    if "BitstringStatusListCredential" not in cred.get("type", []) or not isinstance(subject, dict):
        raise StatusListError("status list: not a BitstringStatusListCredential")
    if subject.get("type") != "BitstringStatusList":
        raise StatusListError("status list: credentialSubject is not a BitstringStatusList")
    try:
        if now < parse_vc_time(cred.get("validFrom"), "validFrom"):
            raise StatusListError("status list: not valid yet")
        if "validUntil" in cred and now > parse_vc_time(cred["validUntil"], "validUntil"):
            raise StatusListError("status list: expired (fetch a fresh one)")
    except StatusListError:
        raise
    except ValueError as exc:
        raise StatusListError(f"status list: {exc}") from exc
    purposes = subject.get("statusPurpose", "")
    purposes = purposes if isinstance(purposes, list) else [purposes]
    return StatusList(
        url=str(cred.get("id", "")),
        purposes=tuple(str(p) for p in purposes),
        issuer=issuer_id(cred) or "",
        bits=decode(subject.get("encodedList", "")),
    )
