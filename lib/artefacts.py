"""Artefacts (evidence uploads, simulation journals, export PDFs and bundles) in Django's default storage.

Every file WorkflowOS makes or keeps goes through here, so web and workers on different hosts see
the same objects: the file system under ``MEDIA_ROOT`` on the embedded default, an S3-compatible
bucket in production (``STORAGES["default"]``). Names are ``<prefix>/<name>`` with a fixed prefix
per kind (``evidence/``, ``journals/``, ``exports/``); rows keep the bare name and the SHA-256.

* :func:`save` / :func:`save_file` store bytes, chunks or a seekable file and return the name, the
  SHA-256 and the size. No partial object is ever left under a name: :class:`AtomicFileSystemStorage`
  writes a temporary file and links it into place; an S3 upload (single PUT or multipart) only
  appears when complete and boto3 aborts a failed multipart upload.
* :func:`open_verified` opens an artefact for download after reading it through once and checking
  its SHA-256 (a changed object is refused with 409, a missing one with 410), then rewinds it, so
  what is served is what was checked (an S3 object is fetched once, into a spooled temporary file).
* Storage faults become a :class:`~lib.errors.DomainError` a person can act on: a full disk (ENOSPC,
  EDQUOT, EFBIG) or a full bucket answers 507 "Storage is full", anything else 503.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import os
import re
import secrets
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from lib.errors import DomainError

CHUNK = 1024 * 1024
SPOOL_MEMORY = 4 * 1024 * 1024  # bigger artefacts spill to a local temporary file
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
# What S3-compatible stores answer when they are out of space (MinIO, Ceph RGW) or over quota.
_FULL_S3_CODES = {
    "XMinioStorageFull",
    "StorageFull",
    "QuotaExceeded",
    "InsufficientStorage",
    "EntityTooLarge",
}

FULL_MESSAGE = (
    "Storage is full: the file was not saved. Nothing was kept; try again once your platform admin "
    "has freed space (see /healthz)."
)
UNAVAILABLE_MESSAGE = (
    "Storage is unavailable: the file was not saved. Nothing was kept; try again in a minute, and "
    "tell your platform admin if it persists (see /healthz)."
)
READ_UNAVAILABLE_MESSAGE = "Storage is unavailable, so this file cannot be served now; try again in a minute."


@dataclass(frozen=True)
class Stored:
    name: str  # without the prefix: what a row keeps
    sha256: str
    size: int


class StorageError(DomainError):
    """A storage fault (full, unreachable): jobs end failed with its message, forms show it."""


def storage() -> Storage:
    return storages["default"]


def random_name(suffix: str = "") -> str:
    return secrets.token_hex(16) + suffix


def key(prefix: str, name: str) -> str:
    """``<prefix>/<name>`` for one of our own names; anything else (a path, a dot file) is refused."""
    if not _NAME.fullmatch(name or "") or ".." in name:
        raise DomainError("This file reference is not valid.", status=404, code="not_found")
    return f"{prefix}/{name}"


# --- errors --------------------------------------------------------------------------------------


def is_storage_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return error.get("Code") in _FULL_S3_CODES or status == 507
    return False


def _is_storage_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return True
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency, but the embedded default needs none
        return False
    return isinstance(exc, BotoCoreError | ClientError)


def storage_error(exc: BaseException) -> StorageError:
    """The user-facing error for a failed write: 507 when storage is full, else 503."""
    if is_storage_full(exc):
        return StorageError(FULL_MESSAGE, status=507, code="storage_full")
    return StorageError(UNAVAILABLE_MESSAGE, status=503, code="storage_unavailable")


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Turn an OSError or boto error inside the block into :func:`storage_error`'s DomainError."""
    try:
        yield
    except DomainError:
        raise
    except Exception as exc:
        if not _is_storage_error(exc):
            raise
        raise storage_error(exc) from exc


# --- writing -------------------------------------------------------------------------------------


class AtomicFileSystemStorage(FileSystemStorage):
    """The file system storage, but a file appears under its name only once it is complete.

    Django's own ``_save`` writes straight into the final name, so a full disk or a killed worker
    leaves a truncated file there. Here the bytes go to a hidden temporary file in the same folder,
    which is hard-linked into place (``O_EXCL`` semantics: an existing name is never overwritten)
    and always removed.
    """

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, mode=self.directory_permissions_mode or 0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as fh:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    fh.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            while True:
                try:
                    os.link(tmp, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        os.chmod(full_path, self.file_permissions_mode or 0o600)
        return str(name).replace("\\", "/")


def spool() -> IO[bytes]:
    """A temporary file for an artefact being built: in memory up to 4 MB, then on local disk."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)


def _hash_file(fh: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fh.seek(0)
    while block := fh.read(CHUNK):
        digest.update(block)
        size += len(block)
    fh.seek(0)
    return digest.hexdigest(), size


def save_file(prefix: str, fh: IO[bytes], *, name: str | None = None, replace: bool = False) -> Stored:
    """Store the seekable file ``fh`` as ``<prefix>/<name>`` (a random name when None).

    ``replace`` deletes an existing object of that name first (a re-run writing its fixed name
    again); otherwise an existing name gets a fresh suffix from the storage, and the returned
    name is the one to keep. Raises the StorageError of :func:`storage_error` on any storage
    fault; nothing is left under the name then.
    """
    wanted = key(prefix, name or random_name())
    target = storage()
    with storage_errors():
        sha256, size = _hash_file(fh)
        if replace:
            target.delete(wanted)
        # Atomic on both backends: nothing appears under the name unless all of it was written.
        saved = target.save(wanted, File(fh, name=wanted))
    return Stored(name=saved.removeprefix(prefix + "/"), sha256=sha256, size=size)


def save(
    prefix: str, data: bytes | Iterable[bytes], *, name: str | None = None, replace: bool = False
) -> Stored:
    """Store bytes or an iterable of chunks; see :func:`save_file`."""
    with storage_errors(), spool() as fh:
        for chunk in [data] if isinstance(data, bytes) else data:
            fh.write(chunk)
        return save_file(prefix, fh, name=name, replace=replace)


def delete(prefix: str, name: str) -> None:
    """Remove an artefact (missing is fine); storage faults are logged by the caller's edge."""
    with storage_errors():
        storage().delete(key(prefix, name))


# --- reading -------------------------------------------------------------------------------------


MISSING_MESSAGE = "The stored file is missing; tell your platform admin."
CHANGED_MESSAGE = (
    "The stored file no longer matches the SHA-256 recorded when it was made, so it is not served."
)


def _missing(exc: BaseException) -> bool:
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None)
    return (
        isinstance(response, dict) and (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") == 404
    )


def open_verified(prefix: str, name: str, *, sha256: str, gunzip: bool = False) -> IO[bytes]:
    """Open ``<prefix>/<name>`` for reading after checking that its SHA-256 is ``sha256``.

    With ``gunzip`` the hash is of the decompressed content (simulation journals record the hash of
    their JSON lines). Returns the open file, rewound; the caller closes it (a FileResponse does).
    Raises DomainError 410 ``artefact_missing``, 409 ``artefact_changed`` (also for a corrupt gzip
    stream) or 503 ``storage_unavailable``.
    """
    name_key = key(prefix, name)
    try:
        fh: Any = storage().open(name_key, "rb")
    except Exception as exc:
        if _missing(exc):
            raise DomainError(MISSING_MESSAGE, status=410, code="artefact_missing") from None
        if _is_storage_error(exc):
            raise StorageError(READ_UNAVAILABLE_MESSAGE, status=503, code="storage_unavailable") from exc
        raise
    try:
        digest = hashlib.sha256()
        fh.seek(0)
        reader: Any = gzip.GzipFile(fileobj=fh, mode="rb") if gunzip else fh
        while block := reader.read(CHUNK):
            digest.update(block)
        fh.seek(0)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        fh.close()
        raise DomainError(CHANGED_MESSAGE, status=409, code="artefact_changed") from None
    except Exception as exc:
        fh.close()
        if _missing(exc):
            raise DomainError(MISSING_MESSAGE, status=410, code="artefact_missing") from None
        if _is_storage_error(exc):
            raise StorageError(READ_UNAVAILABLE_MESSAGE, status=503, code="storage_unavailable") from exc
        raise
    if not secrets.compare_digest(digest.hexdigest(), sha256 or ""):
        fh.close()
        raise DomainError(CHANGED_MESSAGE, status=409, code="artefact_changed")
    return fh
