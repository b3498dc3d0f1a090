"""Evidence files: ``evidence/<random name>`` in the default storage (see :mod:`lib.artefacts`).

Nothing here trusts the uploaded name: the stored name is random, the SHA-256 is computed while
storing, and files are never deleted while a submitted snapshot may cite them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from lib import artefacts
from lib.errors import DomainError

log = logging.getLogger(__name__)

PREFIX = "evidence"


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    size: int
    sha256: str


def store_chunks(chunks: Iterable[bytes]) -> StoredFile:
    """Store the chunks under a new random name, hashing as we go.

    Raises DomainError 507 ("Storage is full…") or 503 when storage fails; nothing is kept then.
    """
    stored = artefacts.save(PREFIX, chunks)
    return StoredFile(stored.name, stored.size, stored.sha256)


def open_verified(storage_name: str, sha256: str) -> IO[bytes]:
    """The stored file, opened after checking its SHA-256 (DomainError 409/410/503 otherwise)."""
    return artefacts.open_verified(PREFIX, storage_name, sha256=sha256)


def discard(storage_name: str) -> None:
    """Delete a file that was never attached (a refused or failed upload). Best effort: it runs
    while another error is on its way to the user, which must not be masked."""
    try:
        artefacts.delete(PREFIX, storage_name)
    except DomainError:
        log.warning("could not delete unattached evidence file %s", storage_name, exc_info=True)
