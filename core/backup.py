"""Backup and restore of a whole instance: the database, the artefacts and the signing keys.

One ``.tar.gz`` archive (``workflowos.backup/v1``) holds:

* ``database.jsonl``: every row (Django ``dumpdata``, JSON lines, natural keys for content types
  and permissions), taken in one transaction so the tables agree with each other; engine-neutral,
  so a SQLite backup restores into PostgreSQL and back;
* ``files/<name>``: every artefact of ``default_storage`` (evidence uploads, simulation journals,
  exports), read through the storage API so it works for the file system and for S3;
* ``keys/keyring.json``: the signing key ring when it lives in a directory (private keys: the
  archive is then a secret). A ring from ``WORKFLOWOS_SIGNING_KEYS`` is never written; the
  manifest records its public kids so that restore can check the operator set the same ring;
* ``manifest.json`` (last): the SHA-256 and size of every other member.

Restore reads the archive once, as a stream, refusing anything but regular files with the names
above, sizes over the caps and names that could leave the storage; it stages every member in a
temporary folder, checks them all against the manifest, and only then writes: files into
``default_storage``, then the database in one transaction (flush and load).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dt_time
from pathlib import Path
from typing import IO, Any, BinaryIO

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, router, transaction
from django.db.models import Model
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lib.errors import DomainError
from lib.keys import ENV_VAR, KEYRING_FILE, KeyRing

FORMAT = "workflowos.backup/v1"
MANIFEST = "manifest.json"
DATABASE = "database.jsonl"
KEYRING = "keys/keyring.json"
FILES = "files/"

# Caps on what restore accepts (an archive is input like any other).
MAX_MEMBER_BYTES = 8 * 1024**3
MAX_TOTAL_BYTES = 64 * 1024**3
MAX_MEMBERS = 500_000
MAX_MANIFEST_BYTES = 128 * 1024**2
MAX_KEYRING_BYTES = 1024**2
MAX_NAME_CHARS = 512
CHUNK = 1024 * 1024

# Rows that are rebuilt by ``migrate`` or are transient, so never part of a backup.
EXCLUDED_MODELS = ("contenttypes", "auth.permission", "sessions", "core.workerheartbeat")  # app or app.model

_NAME_PART = re.compile(r"[^\x00-\x1f\x7f\\]+")


class _FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(max_length=MAX_NAME_CHARS)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class _Keys(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    source: str = Field(pattern=r"^(directory|environment|none)$")
    kids: list[str]
    file: _FileEntry | None = None


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    format: str = Field(pattern=f"^{re.escape(FORMAT)}$")
    created: str
    database_vendor: str
    database: _FileEntry
    files: list[_FileEntry]
    keys: _Keys


@dataclass
class BackupSummary:
    path: Path | None  # None when written to a stream
    files: int
    bytes: int
    keys_source: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreSummary:
    files: int
    objects: str
    keys: str
    warnings: list[str] = field(default_factory=list)


def check_storage_name(name: str) -> str | None:
    """Why ``name`` may not be written to the storage (absolute, ``..``, control characters), or None."""
    if not name or len(name) > MAX_NAME_CHARS or name.startswith("/"):
        return "not a relative name"
    parts = name.split("/")
    if any(p in ("", ".", "..") or not _NAME_PART.fullmatch(p) for p in parts):
        return "has an empty, '.', '..' or control-character part"
    return None


# --- backup -------------------------------------------------------------------------------------


def _storage_names(storage: Storage, prefix: str = "") -> Iterator[str]:
    """Every file of the storage, depth first; names starting with a dot are work in progress."""
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        if not name.startswith("."):
            yield f"{prefix}{name}"
    for name in sorted(dirs):
        if not name.startswith("."):
            yield from _storage_names(storage, f"{prefix}{name}/")


def _add(archive: tarfile.TarFile, name: str, stream: IO[bytes], size: int, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(mtime)
    archive.addfile(info, stream)


def _spool(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    """Copy ``source`` into ``target``; returns (sha256, size). ``target`` is rewound."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        target.write(chunk)
    target.flush()
    target.seek(0)
    return digest.hexdigest(), size


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes to milliseconds; keep every digit (audit hashes cover them)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | dt_time):
            return o.isoformat()
        return super().default(o)


def _models_to_dump() -> list[type[Model]]:
    """Every concrete model, in dependency order, as ``dumpdata`` would pick them."""
    excluded = set(EXCLUDED_MODELS)
    app_list = [
        (config, None)
        for config in apps.get_app_configs()
        if config.models_module is not None and config.label not in excluded
    ]
    return [
        model
        for model in serializers.sort_dependencies(app_list, allow_cycles=True)
        if not model._meta.proxy
        and model._meta.label_lower not in excluded
        and router.allow_migrate_model(DEFAULT_DB_ALIAS, model)
    ]


def _dump_database(path: Path) -> None:
    """All rows, in one transaction: a consistent snapshot of every table."""
    with transaction.atomic(), path.open("w", encoding="utf-8") as out:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for model in _models_to_dump():
            rows = model._base_manager.order_by(model._meta.pk.name).iterator(chunk_size=2000)
            serializers.serialize(
                "jsonl", rows, stream=out, use_natural_foreign_keys=True, cls=_ExactJSONEncoder
            )


def backup_create(*, output: Path | BinaryIO, warn: Callable[[str], None] = lambda _: None) -> BackupSummary:
    """Write the instance's database, artefacts and (directory) key ring to ``output`` (.tar.gz).

    A path is created with mode 0600 under a temporary name and renamed when complete; an
    existing file is refused. A binary stream (stdout) is written as it goes. A key ring from
    ``WORKFLOWOS_SIGNING_KEYS`` is not written (``warn`` says so): the operator must keep it.
    """
    warnings: list[str] = []

    def note(text: str) -> None:
        warnings.append(text)
        warn(text)

    if not isinstance(output, Path):
        files, total, keys = _write_archive(output, note)
        return BackupSummary(None, files, total, keys, warnings)
    if output.exists():
        raise DomainError(f"{output} already exists; choose a new name")
    if not output.parent.is_dir():
        raise DomainError(f"{output.parent}: no such folder")
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            files, total, keys = _write_archive(raw, note)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupSummary(output, files, total, keys, warnings)


def _write_archive(raw: BinaryIO, note: Callable[[str], None]) -> tuple[int, int, str]:
    """The archive, streamed (no seeking, so stdout works); returns (files, bytes, keys source)."""
    from lib.instance_keys import instance_ring

    total = 0
    entries: list[dict[str, Any]] = []
    with (
        tarfile.open(fileobj=raw, mode="w|gz", format=tarfile.PAX_FORMAT) as archive,
        tempfile.TemporaryDirectory(prefix="wfos-backup-") as work,
    ):
        dump = Path(work) / DATABASE
        _dump_database(dump)
        db_hash, db_size = _hash_file(dump)
        with dump.open("rb") as fh:
            _add(archive, DATABASE, fh, db_size, time.time())
        total += db_size

        for name in _storage_names(default_storage):
            with (
                default_storage.open(name, "rb") as source,
                tempfile.TemporaryFile(dir=work) as spooled,
            ):
                digest, size = _spool(source, spooled)
                _add(archive, FILES + name, spooled, size, time.time())
            entries.append({"name": name, "sha256": digest, "size": size})
            total += size

        keys = _backup_keys(archive, instance_ring(), note)
        manifest = _Manifest(
            format=FORMAT,
            created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            database_vendor=connection.vendor,
            database=_FileEntry(name=DATABASE, sha256=db_hash, size=db_size),
            files=[_FileEntry(**e) for e in entries],
            keys=keys,
        )
        data = (json.dumps(manifest.model_dump(), indent=2) + "\n").encode("utf-8")
        _add(archive, MANIFEST, io.BytesIO(data), len(data), time.time())
    return len(entries), total, keys.source


def _backup_keys(archive: tarfile.TarFile, ring: KeyRing, note: Callable[[str], None]) -> _Keys:
    if ring.read_only:
        kids = [k.kid for k in ring.all_keys()]
        note(
            f"the signing keys come from {ENV_VAR} and are NOT in this backup: keep that variable "
            f"(kids {', '.join(kids)}); without it, issued credentials and bundles cannot be re-signed "
            "and new ones would use other keys"
        )
        return _Keys(source="environment", kids=kids)
    path = Path(settings.SIGNING_KEYS_DIR) / KEYRING_FILE
    if not path.exists():
        return _Keys(source="none", kids=[])  # nothing was ever signed on this instance
    data = path.read_bytes()
    kids = [k.kid for k in KeyRing.from_env_value(data.decode("utf-8")).all_keys()]
    _add(archive, KEYRING, io.BytesIO(data), len(data), path.stat().st_mtime)
    note(f"the archive holds the private signing keys ({', '.join(kids)}): store it as a secret")
    return _Keys(
        source="directory",
        kids=kids,
        file=_FileEntry(name=KEYRING, sha256=hashlib.sha256(data).hexdigest(), size=len(data)),
    )


# --- restore ------------------------------------------------------------------------------------


@dataclass
class _Staged:
    manifest: _Manifest
    database: Path
    keyring: Path | None
    files: dict[str, Path]  # storage name -> staged copy


def _stage(archive_path: Path | BinaryIO, work: Path) -> _Staged:
    """Read the archive once, refusing anything unexpected; check every member against the manifest."""
    seen: dict[str, tuple[str, int, Path]] = {}
    total = 0
    try:
        path, stream = (archive_path, None) if isinstance(archive_path, Path) else (None, archive_path)
        with tarfile.open(name=path, fileobj=stream, mode="r|gz") as archive:
            for n, member in enumerate(archive):
                if n >= MAX_MEMBERS:
                    raise DomainError(f"the archive has more than {MAX_MEMBERS} members")
                name = member.name
                if not member.isreg():
                    raise DomainError(f"{name!r}: only regular files are allowed in a backup")
                if name in seen:
                    raise DomainError(f"{name!r} appears twice in the archive")
                known = name in (MANIFEST, DATABASE, KEYRING)
                if not known and not (
                    name.startswith(FILES) and check_storage_name(name[len(FILES) :]) is None
                ):
                    raise DomainError(f"{name!r}: not a member a backup contains (or an unsafe name)")
                limit = {MANIFEST: MAX_MANIFEST_BYTES, KEYRING: MAX_KEYRING_BYTES}.get(name, MAX_MEMBER_BYTES)
                if member.size > limit:
                    raise DomainError(f"{name!r}: larger than {limit} bytes")
                total += member.size
                if total > MAX_TOTAL_BYTES:
                    raise DomainError(f"the archive holds more than {MAX_TOTAL_BYTES} bytes")
                source = archive.extractfile(member)
                assert source is not None  # a regular file
                target = work / f"m{n}"
                with target.open("wb") as out:
                    digest, size = _spool(source, out)
                if size != member.size:
                    raise DomainError(f"{name!r}: truncated")
                seen[name] = (digest, size, target)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        where = archive_path if isinstance(archive_path, Path) else "the input"
        raise DomainError(f"{where}: not a readable .tar.gz backup ({exc})") from exc

    if MANIFEST not in seen:
        raise DomainError("the archive has no manifest.json: not a WorkflowOS backup")
    try:
        manifest = _Manifest.model_validate_json(seen.pop(MANIFEST)[2].read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DomainError(f"manifest.json: {where}: {first['msg']}") from exc

    expected = {FILES + e.name: e for e in manifest.files}
    expected[DATABASE] = manifest.database
    if manifest.keys.file is not None:
        expected[KEYRING] = manifest.keys.file
    if len(expected) != len(manifest.files) + 1 + (manifest.keys.file is not None):
        raise DomainError("manifest.json lists a file twice")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise DomainError(f"{extra[0]!r} is in the archive but not in its manifest")
    for name, entry in sorted(expected.items()):
        if name not in seen:
            raise DomainError(f"{name!r} is in the manifest but missing from the archive")
        digest, size, _ = seen[name]
        if (digest, size) != (entry.sha256, entry.size):
            raise DomainError(f"{name!r} does not match its SHA-256 in the manifest: the archive is damaged")
        if name.startswith(FILES) and check_storage_name(entry.name) is not None:
            raise DomainError(f"{entry.name!r}: unsafe file name")
    return _Staged(
        manifest=manifest,
        database=seen[DATABASE][2],
        keyring=seen[KEYRING][2] if KEYRING in seen else None,
        files={name[len(FILES) :]: seen[name][2] for name in seen if name.startswith(FILES)},
    )


def instance_has_data() -> list[str]:
    """What makes this instance not empty (accounts, organisations, stored files); [] when empty.

    Rows that ``migrate`` and ``load_rubric`` create on a fresh deployment do not count: restore
    replaces them.
    """
    from django.contrib.auth import get_user_model

    from accounts.models import Organisation

    found = []
    if get_user_model().objects.exists():
        found.append("user accounts")
    if Organisation.objects.exists():
        found.append("organisations")
    if next(_storage_names(default_storage), None) is not None:
        found.append("stored files")
    return found


def backup_restore(
    *,
    archive: Path | BinaryIO,
    force: bool = False,
    allow_other_keys: bool = False,
    warn: Callable[[str], None] = lambda _: None,
) -> RestoreSummary:
    """Restore an archive made by ``backup_create`` into this instance.

    Checks the whole archive first; migrates the database; refuses an instance that already has
    data unless ``force`` (which replaces the database and overwrites same-named files); refuses
    when the configured signing keys lack a key of the backup unless ``allow_other_keys``. Then
    writes the files, the key ring (directory rings only) and the database (flush and load, one
    transaction), and checks the audit chains.
    """
    from core.audit import CHAINS, audit_log_verify
    from lib.instance_keys import instance_ring

    warnings: list[str] = []

    def note(text: str) -> None:
        warnings.append(text)
        warn(text)

    if isinstance(archive, Path) and not archive.is_file():
        raise DomainError(f"{archive}: no such file")
    with tempfile.TemporaryDirectory(prefix="wfos-restore-") as work:
        staged = _stage(archive, Path(work))
        call_command("migrate", interactive=False, verbosity=0)
        present = instance_has_data()
        if present and not force:
            raise DomainError(
                f"this instance is not empty ({', '.join(present)}); restore into a fresh database and "
                "storage, or pass --force to replace its data"
            )
        keys_done = _restore_keys(staged, instance_ring(), force, allow_other_keys, note)

        for name, path in sorted(staged.files.items()):
            if default_storage.exists(name):
                default_storage.delete(name)
            with path.open("rb") as fh:
                saved = default_storage.save(name, File(fh, name=name))
            if saved != name:
                raise DomainError(f"the storage saved {name!r} as {saved!r}; restore stopped")

        fixture = Path(work) / DATABASE  # loaddata picks the format from the extension
        shutil.move(staged.database, fixture)
        objects = _load_database(fixture)

    for chain in CHAINS:
        result = audit_log_verify(chain=chain)
        if not result.ok:
            raise DomainError(f"after restore, the {chain} chain does not verify: {result.problem}")
    return RestoreSummary(len(staged.files), objects, keys_done, warnings)


def _load_database(fixture: Path) -> str:
    from io import StringIO

    out = StringIO()
    with transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", str(fixture), verbosity=1, stdout=out)
    return out.getvalue().strip()


def _restore_keys(
    staged: _Staged, ring: KeyRing, force: bool, allow_other_keys: bool, note: Callable[[str], None]
) -> str:
    wanted = staged.manifest.keys.kids
    if staged.keyring is not None and not ring.read_only:
        data = staged.keyring.read_bytes()
        KeyRing.from_env_value(data.decode("utf-8"))  # a readable ring, or DomainError
        directory = Path(settings.SIGNING_KEYS_DIR)
        path = directory / KEYRING_FILE
        if path.exists() and path.read_bytes() != data:
            if not force:
                raise DomainError(
                    f"{path} holds other keys; move it away or pass --force (it is kept as {KEYRING_FILE}.before-restore)"
                )
            shutil.copy2(path, directory / f"{KEYRING_FILE}.before-restore")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = directory / f".{KEYRING_FILE}.restore.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return f"key ring written to {path} ({', '.join(wanted)})"
    # The backup has no ring to write (it came from the environment), or this instance reads its
    # ring from the environment: the configured ring must hold every key the backup used.
    # (Asking a directory ring that has no file yet would create a new key.)
    exists = ring.read_only or (Path(settings.SIGNING_KEYS_DIR) / KEYRING_FILE).exists()
    have = {k.kid for k in ring.all_keys()} if exists else set()
    missing = [kid for kid in wanted if kid not in have]
    if missing:
        where = ENV_VAR if ring.read_only else str(settings.SIGNING_KEYS_DIR)
        message = (
            f"the signing keys configured here ({where}) lack key(s) {', '.join(missing)} used by the "
            "backed-up instance: credentials and bundles it issued would not verify against this "
            f"instance's JWKS. Set {ENV_VAR} to the old ring (or pass --allow-other-keys)"
        )
        if not allow_other_keys:
            raise DomainError(message)
        note(message)
    if staged.keyring is not None:
        note(f"the backup's key ring file was not written: this instance reads its keys from {ENV_VAR}")
    return f"configured ring holds {', '.join(wanted) or 'no'} key(s) of the backup"
