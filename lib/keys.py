"""The instance's Ed25519 signing keys: one active key, older keys retired but still published.

Trust-mark credentials, status lists and evidence bundles are all signed by this ring, and
verifiers check them with the public keys served at ``/.well-known/jwks.json`` (``ring.jwks()``).

Where the keys live (private keys never leave it, never in the database or the repository):

* a directory (``KeyRing(Path("var/keys"))``, git-ignored) holding ``keyring.json`` with mode
  ``0600`` inside a ``0700`` directory, created with a fresh key on first use; or
* the environment variable ``WORKFLOWOS_SIGNING_KEYS`` (``KeyRing.from_environment``), read-only,
  holding either the same JSON document as ``keyring.json`` or one or more PEM (PKCS#8) Ed25519
  private keys, the *last* block being the active key and the earlier ones retired.

``keyring.json`` (``workflowos.keyring/v1``)::

    {"format": "workflowos.keyring/v1",
     "keys": [{"kid": "<RFC 7638 thumbprint>", "created": "2025-01-31T10:00:00Z",
               "status": "retired", "retired": "2026-01-31T10:00:00Z",
               "private_key_pem": "-----BEGIN PRIVATE KEY-----\\n..."},
              {"kid": "...", "created": "2026-01-31T10:00:00Z", "status": "active",
               "retired": null, "private_key_pem": "..."}]}

``generate_keyring_document()`` prints such a document for the environment-variable setup.
Rotation (``ring.rotate()``) and first creation take an exclusive ``flock`` on
``<directory>/.lock`` so that concurrent processes never end up with two active keys.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lib.errors import DomainError

KEYRING_FORMAT = "workflowos.keyring/v1"
KEYRING_FILE = "keyring.json"
ENV_VAR = "WORKFLOWOS_SIGNING_KEYS"
MAX_JWKS_BYTES = 256 * 1024

KeyStatus = Literal["active", "retired"]


# --- base64url and JWK helpers (shared by lib.jws and the verifiers) ---------------------------


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """Strict base64url decoding without padding; raises ``ValueError`` on anything else."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    if "=" in text or not all(c.isalnum() or c in "-_" for c in text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url): the ``kid`` of every key we publish."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None:
        raise ValueError(f"unsupported key type {jwk.get('kty')!r}")
    required = {name: jwk[name] for name in members}
    data = json.dumps(required, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return b64url_encode(hashlib.sha256(data.encode("utf-8")).digest())


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK of an Ed25519 key as published: OKP, kid, alg EdDSA, use sig."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    return {**jwk, "kid": jwk_thumbprint(jwk), "alg": "EdDSA", "use": "sig"}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """Load an Ed25519 public key from a JWK; ``ValueError`` if it is anything else."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 (OKP) key")
    if jwk.get("alg") not in (None, "EdDSA", "Ed25519"):
        raise ValueError(f"key is for algorithm {jwk.get('alg')!r}")
    if "d" in jwk:
        raise ValueError("a private key was published")
    raw = b64url_decode(str(jwk.get("x", "")))
    if len(raw) != 32:
        raise ValueError("Ed25519 public key must be 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def find_jwk(jwks: Mapping[str, Any], kid: str) -> dict[str, Any] | None:
    """The key with this ``kid`` in a JWKS document, or ``None``."""
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list):
        return None
    for jwk in keys:
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            return jwk
    return None


def verify_with_jwks(jwks: Mapping[str, Any], kid: str, payload: bytes, signature: bytes) -> bool:
    """True when ``signature`` over ``payload`` verifies with the key ``kid`` of ``jwks``.

    Retired keys are in the JWKS and verify like the active one; an unknown kid, a key that is
    not Ed25519 or a wrong signature all give ``False``.
    """
    jwk = find_jwk(jwks, kid)
    if jwk is None:
        return False
    try:
        public_key_from_jwk(jwk).verify(signature, payload)
    except (ValueError, InvalidSignature):
        return False
    return True


def validate_jwks(data: Any) -> dict[str, Any]:
    """Check the shape of a JWKS document (``{"keys": [{...}, ...]}``); ``ValueError`` if wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError('a JWKS is a JSON object with a "keys" list')
    if not all(isinstance(k, dict) for k in data["keys"]):
        raise ValueError("every JWKS entry must be a JSON object")
    return data


def load_jwks(source: str, *, allow_network: bool = True, timeout: float = 10.0) -> dict[str, Any]:
    """Read a JWKS from a file path or, when allowed, an ``https://``/``http://`` URL.

    Raises ``ValueError`` with a one-line message when it cannot be read or is not a JWKS.
    """
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        if not allow_network:
            raise ValueError(f"offline: cannot fetch {source}; pass the JWKS as a file")
        data = fetch_url(source, timeout=timeout, max_bytes=MAX_JWKS_BYTES)
    else:
        path = Path(source)
        try:
            if path.stat().st_size > MAX_JWKS_BYTES:
                raise ValueError(f"{source}: too large for a JWKS")
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        return validate_jwks(json.loads(data))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not JSON ({exc.msg})") from exc


def fetch_url(url: str, *, timeout: float = 10.0, max_bytes: int = 4 * 1024 * 1024) -> bytes:
    """GET an http(s) URL with a timeout and a size cap; ``ValueError`` on any failure."""
    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValueError(f"refusing to fetch {url!r}: only http and https")
    request = urllib.request.Request(url, headers={"User-Agent": "workflowos-verify/1"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = response.read(max_bytes + 1)
    except OSError as exc:  # URLError, HTTPError and timeouts are all OSErrors
        raise ValueError(f"cannot fetch {url}: {getattr(exc, 'reason', None) or exc}") from exc
    if len(data) > max_bytes:
        raise ValueError(f"{url}: response larger than {max_bytes} bytes")
    return data


# --- the key ring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInfo:
    """Public facts about one key of the ring (never the private key)."""

    kid: str
    created: datetime | None
    status: KeyStatus
    retired: datetime | None
    public_jwk: dict[str, str]


@dataclass(frozen=True)
class _Key:
    info: KeyInfo
    private_key: Ed25519PrivateKey


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _parse_time(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise DomainError(f"key ring: {what} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise DomainError(f"key ring: {what} has no time zone")
    return parsed


def _new_key(now: datetime) -> _Key:
    private_key = Ed25519PrivateKey.generate()
    jwk = public_jwk(private_key.public_key())
    return _Key(KeyInfo(jwk["kid"], now, "active", None, jwk), private_key)


def _key_from_pem(pem: str, *, created: datetime | None, status: KeyStatus, retired: datetime | None) -> _Key:
    try:
        private_key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise DomainError("key ring: a private key is not a readable unencrypted PEM") from exc
    if not isinstance(private_key, Ed25519PrivateKey):
        raise DomainError("key ring: only Ed25519 private keys are supported")
    jwk = public_jwk(private_key.public_key())
    return _Key(KeyInfo(jwk["kid"], created, status, retired, jwk), private_key)


def _pem(private_key: Ed25519PrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _document(keys: list[_Key]) -> dict[str, Any]:
    return {
        "format": KEYRING_FORMAT,
        "keys": [
            {
                "kid": k.info.kid,
                "created": _iso(k.info.created),
                "status": k.info.status,
                "retired": _iso(k.info.retired),
                "private_key_pem": _pem(k.private_key),
            }
            for k in keys
        ],
    }


def _parse_document(data: Any) -> list[_Key]:
    if (
        not isinstance(data, dict)
        or data.get("format") != KEYRING_FORMAT
        or not isinstance(data.get("keys"), list)
    ):
        raise DomainError(f'key ring: expected a {KEYRING_FORMAT} document with a "keys" list')
    keys: list[_Key] = []
    for n, entry in enumerate(data["keys"]):
        if not isinstance(entry, dict) or entry.get("status") not in ("active", "retired"):
            raise DomainError(f"key ring: keys[{n}] needs a status of active or retired")
        key = _key_from_pem(
            str(entry.get("private_key_pem", "")),
            created=_parse_time(entry.get("created"), f"keys[{n}].created"),
            status=entry["status"],
            retired=_parse_time(entry.get("retired"), f"keys[{n}].retired"),
        )
        if entry.get("kid") not in (None, key.info.kid):
            raise DomainError(f"key ring: keys[{n}].kid does not match its key")
        keys.append(key)
    return _checked(keys)


def _parse_pem_blocks(text: str) -> list[_Key]:
    end = "-----END PRIVATE KEY-----"
    blocks = [b.strip() + "\n" + end + "\n" for b in text.split(end) if b.strip()]
    keys = [_key_from_pem(block, created=None, status="retired", retired=None) for block in blocks[:-1]] + [
        _key_from_pem(block, created=None, status="active", retired=None) for block in blocks[-1:]
    ]
    return _checked(keys)


def _checked(keys: list[_Key]) -> list[_Key]:
    if sum(k.info.status == "active" for k in keys) != 1:
        raise DomainError("key ring: exactly one key must be active")
    if len({k.info.kid for k in keys}) != len(keys):
        raise DomainError("key ring: the same key appears twice")
    return keys


def generate_keyring_document(now: datetime | None = None) -> str:
    """A fresh ``workflowos.keyring/v1`` JSON document, e.g. for ``WORKFLOWOS_SIGNING_KEYS``."""
    return json.dumps(_document([_new_key(now or datetime.now(UTC))]), indent=2)


class KeyRing:
    """The instance's Ed25519 keys, stored in ``directory`` (or read from the environment).

    The ring is created with one active key the first time it is used. A long-running process
    notices a rotation done by another process (the file's mtime changes) on its next call.
    """

    def __init__(self, directory: Path | str) -> None:
        self._directory: Path | None = Path(directory)
        self._fixed: list[_Key] | None = None
        self._cache: tuple[tuple[int, int, int], list[_Key]] | None = None

    @classmethod
    def from_env_value(cls, value: str) -> KeyRing:
        """A read-only ring from the value of ``WORKFLOWOS_SIGNING_KEYS`` (JSON or PEM blocks)."""
        text = value.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DomainError(f"{ENV_VAR}: not valid JSON ({exc.msg})") from exc
            keys = _parse_document(data)
        elif "-----BEGIN PRIVATE KEY-----" in text:
            keys = _parse_pem_blocks(text)
        else:
            raise DomainError(f"{ENV_VAR}: expected a {KEYRING_FORMAT} JSON document or PEM private keys")
        ring = cls.__new__(cls)
        ring._directory = None
        ring._fixed = keys
        ring._cache = None
        return ring

    @classmethod
    def from_environment(cls, directory: Path | str, environ: Mapping[str, str] | None = None) -> KeyRing:
        """The ring from ``WORKFLOWOS_SIGNING_KEYS`` when it is set, else from ``directory``."""
        value = (os.environ if environ is None else environ).get(ENV_VAR, "")
        return cls.from_env_value(value) if value.strip() else cls(directory)

    # -- public API --

    @property
    def read_only(self) -> bool:
        """True for a ring read from the environment (rotate it by changing the variable)."""
        return self._directory is None

    def all_keys(self) -> list[KeyInfo]:
        """Every key, the active one first, then retired keys newest first."""
        return [k.info for k in self._ordered()]

    def active(self) -> KeyInfo:
        """The key that signs from now on."""
        return self._active_key().info

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWKS to publish at ``/.well-known/jwks.json`` (retired keys included)."""
        return {"keys": [dict(k.info.public_jwk) for k in self._ordered()]}

    def sign(self, payload: bytes, *, kid: str | None = None) -> tuple[str, bytes]:
        """Sign ``payload`` with the active key; returns ``(kid, signature)``.

        Pass ``kid`` when it is already written into what is signed (a JWS header): if that key
        has been retired meanwhile by another process, ``DomainError`` asks the caller to retry.
        """
        key = self._active_key()
        if kid is not None and kid != key.info.kid:
            raise DomainError("the signing key was rotated while signing; try again", code="key_rotated")
        return key.info.kid, key.private_key.sign(payload)

    def derived_secret(self, label: str) -> bytes:
        """32 secret bytes derived (HKDF-SHA256, ``info=label``) from the ring's first key.

        The first key stays in the ring through every rotation (retired keys are kept), and
        every host reading the same ring derives the same bytes, so a key derived from it (the
        transparency log's) needs no second secret to store, share or back up.
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        first = self._load()[0].private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode("utf-8")).derive(first)

    def rotate(self, now: datetime | None = None) -> str:
        """Retire the active key and create a new active one; returns the new ``kid``."""
        if self._directory is None:
            raise DomainError(f"the key ring comes from {ENV_VAR}; rotate by changing that variable")
        now = now or datetime.now(UTC)
        with self._locked():
            keys = self._read_file() if self._path.exists() else []
            retired = [
                _Key(
                    KeyInfo(k.info.kid, k.info.created, "retired", k.info.retired or now, k.info.public_jwk),
                    k.private_key,
                )
                for k in keys
            ]
            new = _new_key(now)
            self._write_file([*retired, new])
        self._cache = None
        return new.info.kid

    # -- storage --

    @property
    def _path(self) -> Path:
        assert self._directory is not None
        return self._directory / KEYRING_FILE

    def _ordered(self) -> list[_Key]:
        keys = self._load()
        retired = sorted(
            (k for k in keys if k.info.status == "retired"),
            key=lambda k: k.info.retired or k.info.created or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )
        return [k for k in keys if k.info.status == "active"] + retired

    def _active_key(self) -> _Key:
        return next(k for k in self._load() if k.info.status == "active")

    def _load(self) -> list[_Key]:
        if self._fixed is not None:
            return self._fixed
        try:
            st = self._path.stat()
        except FileNotFoundError:
            self._create()
            st = self._path.stat()
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, self._read_file())
        return self._cache[1]

    def _create(self) -> None:
        with self._locked():
            # Another process may have created the ring while we waited for the lock.
            if not self._path.exists():
                self._write_file([_new_key(datetime.now(UTC))])

    def _read_file(self) -> list[_Key]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DomainError(f"key ring: cannot read {self._path}: {exc}") from exc
        return _parse_document(data)

    def _write_file(self, keys: list[_Key]) -> None:
        assert self._directory is not None
        data = json.dumps(_document(keys), indent=2).encode("utf-8")
        tmp = self._directory / f".{KEYRING_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl  # POSIX only; imported here so that verifiers on any OS can import this module

        assert self._directory is not None
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
