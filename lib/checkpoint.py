"""C2SP signed notes and transparency-log checkpoints, signed with Ed25519 (no Django in it).

* signed note (c2sp.org/signed-note): the text (ending in a newline), a blank line, then one
  line per signature: ``— <key name> <base64(4-byte key id || signature)>``; the key id of an
  Ed25519 key is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``;
* checkpoint (c2sp.org/tlog-checkpoint): the note text is the origin, the tree size in decimal
  and the base64 RFC 9162 root hash, one per line;
* verifier keys are written ``<name>+<key id, 8 hex digits>+<base64(0x01 || public key)>`` as in
  Go's ``golang.org/x/mod/sumdb/note``, so the same key string works in Go's and C2SP tools.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
EM_DASH = "\u2014"
MAX_NOTE_BYTES = 64 * 1024
MAX_SIGNATURES = 16
_NAME_RE = re.compile(r"[^\s+]+")
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")


class NoteError(ValueError):
    """A malformed note or key, or a signature that does not verify."""


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError("not standard base64") from exc


def _check_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, public_key: bytes) -> int:
    """The 32-bit id of an Ed25519 note key (signed-note, "Ed25519 signatures")."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    """One trusted Ed25519 key: its name, id and public key."""

    name: str
    id: int
    public_key: Ed25519PublicKey

    @classmethod
    def from_public_key(cls, name: str, public_key: Ed25519PublicKey) -> NoteVerifier:
        return cls(_check_name(name), key_id(name, _raw_public(public_key)), public_key)

    @classmethod
    def parse(cls, vkey: str) -> NoteVerifier:
        """Read a verifier key ``name+hash+base64(0x01 || key)``; ``NoteError`` if malformed."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise NoteError("a verifier key reads name+keyid+base64key")
        name = _check_name(parts[0])
        data = _b64decode(parts[2])
        if len(data) != 33 or data[0] != ED25519:
            raise NoteError("only Ed25519 (type 0x01) verifier keys are supported")
        public = data[1:]
        kid = int(parts[1], 16)
        if kid != key_id(name, public):
            raise NoteError("the verifier key's id does not match its name and key")
        return cls(name, kid, Ed25519PublicKey.from_public_bytes(public))

    @property
    def vkey(self) -> str:
        """The verifier key string to publish."""
        data = bytes([ED25519]) + _raw_public(self.public_key)
        return f"{self.name}+{self.id:08x}+{base64.b64encode(data).decode('ascii')}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 key that signs notes under ``name``."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_public_key(self.name, self.private_key.public_key())

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Read a Go-style signer key ``PRIVATE+KEY+name+hash+base64(0x01 || seed)``."""
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key reads PRIVATE+KEY+name+keyid+base64key")
        data = _b64decode(parts[4])
        if len(data) != 33 or data[0] != ED25519:
            raise NoteError("only Ed25519 (type 0x01) signer keys are supported")
        signer = cls(_check_name(parts[2]), Ed25519PrivateKey.from_private_bytes(data[1:]))
        if f"{signer.verifier.id:08x}" != parts[3]:
            raise NoteError("the signer key's id does not match its name and key")
        return signer

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end in a newline)."""
        data = _check_text(text)
        signature = self.verifier.id.to_bytes(4, "big") + self.private_key.sign(data)
        return f"{text}\n{EM_DASH} {self.name} {base64.b64encode(signature).decode('ascii')}\n"


def _check_text(text: str) -> bytes:
    if not text.endswith("\n"):
        raise NoteError("note text must end in a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("note text must not contain control characters")
    return text.encode("utf-8")


@dataclass(frozen=True)
class Signature:
    name: str
    id: int
    signature: bytes


def parse_note(note: str | bytes) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and signature lines (nothing verified yet)."""
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_BYTES:
            raise NoteError("the note is too large")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("a note must be UTF-8") from exc
    if len(note) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("a note must not contain control characters")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("no signature block (a blank line, then signature lines)")
    text, block = note[: split + 1], note[split + 2 :]
    signatures: list[Signature] = []
    for line in block[:-1].split("\n"):
        if not line.startswith(EM_DASH + " "):
            raise NoteError("a signature line starts with an em dash and a space")
        parts = line[2:].split(" ")
        if len(parts) != 2:
            raise NoteError("a signature line reads: — name base64signature")
        name = _check_name(parts[0])
        data = _b64decode(parts[1])
        if len(data) < 5:
            raise NoteError("a signature is too short")
        signatures.append(Signature(name, int.from_bytes(data[:4], "big"), data[4:]))
    if not signatures:
        raise NoteError("the note has no signature")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("the note has too many signatures")
    return text, signatures


def open_note(note: str | bytes, verifiers: list[NoteVerifier]) -> str:
    """The text of ``note`` once a signature by one of ``verifiers`` verifies.

    Signatures by unknown keys are ignored (key rotation, witnesses' cosignatures); a known
    key's signature that fails rejects the whole note, as signed-note says clients should.
    """
    text, signatures = parse_note(note)
    data = text.encode("utf-8")
    known = {(v.name, v.id): v for v in verifiers}
    verified = False
    for sig in signatures:
        verifier = known.get((sig.name, sig.id))
        if verifier is None:
            continue
        if not verifier.verify(data, sig.signature):
            raise NoteError(f"the signature by {sig.name} does not verify")
        verified = True
    if not verified:
        raise NoteError("no signature by a trusted key")
    return text


# --- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "\n".join(lines) + "\n"

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode("ascii")


def parse_checkpoint_text(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash line")
    origin, size, root, *extensions = lines[:-1]
    if not origin or any(not line for line in extensions):
        raise NoteError("empty line in a checkpoint")
    if not _SIZE_RE.fullmatch(size):
        raise NoteError("the tree size must be a decimal number without leading zeros")
    root_bytes = _b64decode(root)
    if len(root_bytes) != 32:
        raise NoteError("the root hash must be 32 bytes")
    return Checkpoint(origin, int(size), root_bytes, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    return signer.sign(checkpoint.text())


def open_checkpoint(note: str | bytes, verifier: NoteVerifier, *, origin: str | None = None) -> Checkpoint:
    """A checkpoint whose signature by ``verifier`` verifies (and whose origin is ``origin``)."""
    checkpoint = parse_checkpoint_text(open_note(note, [verifier]))
    expected = origin if origin is not None else verifier.name
    if checkpoint.origin != expected:
        raise NoteError(f"the checkpoint is for log {checkpoint.origin!r}, not {expected!r}")
    return checkpoint
