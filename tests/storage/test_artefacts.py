"""lib.artefacts: save with hash and size, refuse changed or missing files, turn storage faults
into clear errors, and never leave a partial file; on the file system and on S3 (moto)."""

from __future__ import annotations

import errno
import gzip
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage

from lib import artefacts
from lib.errors import DomainError
from tests.storage.conftest import files_under

pytestmark = pytest.mark.django_db

BLOB = b"".join(i.to_bytes(4, "big") for i in range(300_000))  # 1.2 MB, bigger than one chunk


def test_save_records_hash_and_size_and_reads_back_verified(settings):
    stored = artefacts.save("exports", [BLOB[:1000], BLOB[1000:]])
    assert stored.sha256 == hashlib.sha256(BLOB).hexdigest() and stored.size == len(BLOB)
    assert (Path(settings.MEDIA_ROOT) / "exports" / stored.name).read_bytes() == BLOB
    with artefacts.open_verified("exports", stored.name, sha256=stored.sha256) as fh:
        assert fh.read() == BLOB
    assert files_under(Path(settings.MEDIA_ROOT)) == [f"exports/{stored.name}"]  # no temporary left


def test_names_are_random_and_foreign_names_are_refused():
    a, b = artefacts.save("evidence", b"x"), artefacts.save("evidence", b"x")
    assert a.name != b.name and len(a.name) == 32
    for bad in ("../secret_key", ".hidden", "a/b", "", "x" * 200):
        with pytest.raises(DomainError) as exc:
            artefacts.open_verified("evidence", bad, sha256=a.sha256)
        assert exc.value.code == "not_found"


def test_replace_keeps_the_fixed_name_and_the_new_bytes(settings):
    artefacts.save("exports", b"first attempt, cut short", name="abc.pdf")
    stored = artefacts.save("exports", b"second attempt", name="abc.pdf", replace=True)
    assert stored.name == "abc.pdf"
    assert (Path(settings.MEDIA_ROOT) / "exports" / "abc.pdf").read_bytes() == b"second attempt"


def test_a_changed_file_is_refused_and_a_missing_one_is_gone(settings):
    stored = artefacts.save("exports", b"%PDF-1.7 the real pack")
    (Path(settings.MEDIA_ROOT) / "exports" / stored.name).write_bytes(b"%PDF-1.7 the real pacK")
    with pytest.raises(DomainError) as changed:
        artefacts.open_verified("exports", stored.name, sha256=stored.sha256)
    assert changed.value.status == 409 and "SHA-256" in changed.value.message
    (Path(settings.MEDIA_ROOT) / "exports" / stored.name).unlink()
    with pytest.raises(DomainError) as missing:
        artefacts.open_verified("exports", stored.name, sha256=stored.sha256)
    assert missing.value.status == 410 and missing.value.code == "artefact_missing"


def test_a_gzip_artefact_is_checked_by_its_content():
    lines = b'{"index":0}\n{"index":1}\n'
    stored = artefacts.save("journals", gzip.compress(lines, mtime=0), name="simulation-1-abc.jsonl.gz")
    content_hash = hashlib.sha256(lines).hexdigest()
    with artefacts.open_verified("journals", stored.name, sha256=content_hash, gunzip=True) as fh:
        assert gzip.decompress(fh.read()) == lines  # rewound: the stored bytes, as they are
    other = artefacts.save("journals", gzip.compress(b'{"index":9}\n'), name="simulation-2-abc.jsonl.gz")
    with pytest.raises(DomainError) as exc:
        artefacts.open_verified("journals", other.name, sha256=content_hash, gunzip=True)
    assert exc.value.status == 409
    broken = artefacts.save("journals", b"\x1f\x8b not gzip at all", name="simulation-3-abc.jsonl.gz")
    with pytest.raises(DomainError) as exc:
        artefacts.open_verified("journals", broken.name, sha256=content_hash, gunzip=True)
    assert exc.value.status == 409


def test_a_write_that_fails_half_way_leaves_nothing(settings):
    def chunks() -> Any:
        yield b"a" * 100_000
        raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError):
        artefacts.save("evidence", chunks())
    assert files_under(Path(settings.MEDIA_ROOT)) == []


# --- faults, injected: for machines where no tiny real file system can be mounted ----------------


class FailingStorage(FileSystemStorage):
    """Writes part of the file, then fails with the errno named in ``FAIL_ERRNO`` (like a disk that
    fills up while writing) — through the atomic storage, so the partial write is really on disk."""

    fail_errno = errno.ENOSPC

    def _save(self, name: str, content: Any) -> str:
        return artefacts.AtomicFileSystemStorage._save(self, name, _Failing(content, self.fail_errno))


class _Failing:
    def __init__(self, content: Any, err: int) -> None:
        self.content, self.err = content, err

    def seek(self, pos: int) -> None:
        self.content.seek(pos)

    def chunks(self) -> Any:
        yield self.content.read(1000)
        raise OSError(self.err, "injected")


@pytest.fixture
def failing_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storage.test_artefacts.FailingStorage"},
    }
    yield FailingStorage
    FailingStorage.fail_errno = errno.ENOSPC


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_a_full_disk_becomes_storage_full_and_leaves_nothing(settings, failing_storage, err):
    failing_storage.fail_errno = err
    with pytest.raises(artefacts.StorageError) as exc:
        artefacts.save("exports", BLOB, name="abc.pdf")
    assert exc.value.status == 507 and exc.value.code == "storage_full"
    assert exc.value.message.startswith("Storage is full: the file was not saved.")
    assert files_under(Path(settings.MEDIA_ROOT)) == []


def test_other_storage_faults_are_unavailable_not_internal(settings, failing_storage):
    failing_storage.fail_errno = errno.EIO
    with pytest.raises(artefacts.StorageError) as exc:
        artefacts.save("evidence", BLOB)
    assert exc.value.status == 503 and "Storage is unavailable" in exc.value.message
    assert files_under(Path(settings.MEDIA_ROOT)) == []


# --- S3 (moto, in process) -----------------------------------------------------------------------


S3_OPTIONS = {
    "bucket_name": "wfos-unit",
    "region_name": "us-east-1",
    "access_key": "testing",
    "secret_key": "testing",
    "addressing_style": "path",
    "default_acl": None,
    "querystring_auth": False,
    "file_overwrite": False,
    "max_memory_size": 1024 * 1024,
}


@pytest.fixture
def s3(settings, monkeypatch):
    moto = pytest.importorskip("moto")
    import boto3

    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(var, "testing")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="wfos-unit")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": S3_OPTIONS},
        }
        yield client


def test_s3_round_trip_tamper_and_missing(s3):
    stored = artefacts.save("exports", BLOB, name="abc.pdf")
    assert stored.name == "abc.pdf" and stored.sha256 == hashlib.sha256(BLOB).hexdigest()
    assert s3.get_object(Bucket="wfos-unit", Key="exports/abc.pdf")["Body"].read() == BLOB
    with artefacts.open_verified("exports", "abc.pdf", sha256=stored.sha256) as fh:
        assert fh.read() == BLOB
    again = artefacts.save("exports", b"second", name="abc.pdf")  # never overwritten silently
    assert again.name != "abc.pdf" and again.name.startswith("abc_")
    assert artefacts.save("exports", b"third", name="abc.pdf", replace=True).name == "abc.pdf"

    s3.put_object(Bucket="wfos-unit", Key="exports/abc.pdf", Body=b"tampered")
    with pytest.raises(DomainError) as changed:
        artefacts.open_verified("exports", "abc.pdf", sha256=hashlib.sha256(b"third").hexdigest())
    assert changed.value.status == 409
    artefacts.delete("exports", "abc.pdf")
    with pytest.raises(DomainError) as missing:
        artefacts.open_verified("exports", "abc.pdf", sha256=stored.sha256)
    assert missing.value.status == 410


def test_s3_keeps_a_gzip_journal_as_stored_bytes(s3):
    lines = b'{"index":0}\n' * 1000
    data = gzip.compress(lines, mtime=0)
    artefacts.save("journals", data, name="simulation-1-abc.jsonl.gz")
    with artefacts.open_verified(
        "journals", "simulation-1-abc.jsonl.gz", sha256=hashlib.sha256(lines).hexdigest(), gunzip=True
    ) as fh:
        assert fh.read() == data


def test_an_unreachable_bucket_is_unavailable_not_internal(settings):
    from botocore.config import Config

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **S3_OPTIONS,
                "endpoint_url": "http://127.0.0.1:9",  # discard port: nothing listens
                "client_config": Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2),
            },
        },
    }
    with pytest.raises(artefacts.StorageError) as exc:
        artefacts.save("evidence", b"hello")
    assert exc.value.status == 503
    with pytest.raises(DomainError) as read:
        artefacts.open_verified("evidence", "a" * 32, sha256="0" * 64)
    assert read.value.status == 503


def test_a_full_bucket_is_storage_full():
    from botocore.exceptions import ClientError

    full = ClientError(
        {"Error": {"Code": "XMinioStorageFull", "Message": "Storage backend has reached its minimum free drive threshold."}, "ResponseMetadata": {"HTTPStatusCode": 507}},
        "PutObject",
    )  # fmt: skip
    assert artefacts.storage_error(full).status == 507
    denied = ClientError(
        {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject"
    )
    assert artefacts.storage_error(denied).status == 503
