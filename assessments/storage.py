"""Evidence files on disk: under ``MEDIA_ROOT/evidence/`` with a random name, outside the web root.

Nothing here trusts the uploaded name: the stored name is random, the SHA-256 is computed while
writing, and files are never deleted while a submitted snapshot may cite them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from lib.errors import DomainError

_NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def evidence_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "evidence"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _random_name() -> str:
    return "".join(secrets.choice(_NAME_ALPHABET) for _ in range(32))


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    size: int
    sha256: str


def store_chunks(chunks: Iterable[bytes]) -> StoredFile:
    """Write the chunks to a new random file, hashing as we go."""
    folder = evidence_dir()
    name = _random_name()
    digest = hashlib.sha256()
    size = 0
    # O_EXCL: a name collision (practically impossible) fails rather than overwrites.
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    return StoredFile(name, size, digest.hexdigest())


def stored_path(storage_name: str) -> Path:
    """The path of a stored file; refuses anything that is not one of our random names."""
    if len(storage_name) != 32 or any(ch not in _NAME_ALPHABET for ch in storage_name):
        raise DomainError("This evidence file reference is not valid.", status=404, code="not_found")
    return evidence_dir() / storage_name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def discard(storage_name: str) -> None:
    """Delete a file that was never attached (a refused or failed upload)."""
    stored_path(storage_name).unlink(missing_ok=True)
