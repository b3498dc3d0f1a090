"""Backup and restore: an instance built with the real services is backed up, restored into a
fresh database and storage by another process, and what it issued still verifies there."""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from core.backup import backup_restore
from lib.errors import DomainError
from tests.deploy.helpers import ROOT, manage

EXPORT = """
from accounts.models import Organisation, User
from evidence.services import export_request, export_run
from studio.models import WorkflowVersion
acme = Organisation.objects.get(slug="acme-ai")
pat = User.objects.get(email="pat@acme.example")
versions = [v for v in WorkflowVersion.objects.filter(workflow__organisation=acme).select_related("workflow")
            if v.number == v.workflow.head_number][:1]
job = export_request(organisation=acme, user=pat, versions=versions, enqueue=False)
job = export_run(job_id=job.pk)
assert job.status == job.DONE, job.error
print(job.bundle_name)
"""

CHECK = """
import json, os
from django.core.files.storage import default_storage
from django.test import Client
from trustmarks.credentials import verify_credential_jwt
from trustmarks.models import TrustMark
client = Client()
answer = client.get("/api/certify/trust-mark/verify", {"id": "TM-00142"}).json()
jwks = client.get("/.well-known/jwks.json").json()
credential = verify_credential_jwt(TrustMark.objects.get(number=142).credential_jwt, jwks)
out = os.environ["CHECK_OUT"]
with default_storage.open("exports/" + os.environ["BUNDLE"], "rb") as fh, open(out + "/bundle.zip", "wb") as copy:
    copy.write(fh.read())
with open(out + "/jwks.json", "w") as fh:
    json.dump(jwks, fh)
print(json.dumps({"answer": answer, "credential_ok": credential.ok, "reason": credential.reason}))
"""


def _env(var_dir: Path, database_url: str) -> dict[str, str]:
    drop = {"SECRET_KEY", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "WORKFLOWOS_SIGNING_KEYS", "MEDIA_ROOT"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("WORKFLOWOS_")}
    env.update(
        {
            "DJANGO_ENV": "development",  # seed_demo is refused in production
            "DEBUG": "false",
            "WORKFLOWOS_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def two_databases(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A source and a fresh target database of the engine this suite runs on."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        yield f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    token = secrets.token_hex(4)
    names = [f"wfos_backup_{token}", f"wfos_restore_{token}"]
    server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    admin = psycopg.connect(f"{server}/postgres", autocommit=True)
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{server}/{names[0]}", f"{server}/{names[1]}"
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.integration
def test_backup_restores_into_a_fresh_instance_where_old_marks_and_bundles_verify(tmp_path, two_databases):
    source_url, restored_url = two_databases
    source = _env(tmp_path / "source", source_url)
    _ok(manage(source, "migrate", "--noinput", "-v", "0"))
    _ok(manage(source, "load_rubric"))
    _ok(manage(source, "seed_demo"))
    bundle = _ok(manage(source, "shell", "-c", EXPORT)).strip().splitlines()[-1]
    archive = tmp_path / "backup.tar.gz"
    backed_up = manage(source, "backup", str(archive))
    _ok(backed_up)
    assert "holds the private signing keys" in backed_up.stderr  # the operator is told it is secret
    assert archive.stat().st_mode & 0o077 == 0

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    names = {entry["name"] for entry in manifest["files"]}
    assert f"exports/{bundle}" in names
    assert any(n.startswith("evidence/") for n in names) and any(n.startswith("journals/") for n in names)

    # A new instance: its own database, its own (empty) storage and key folder.
    restored = _env(tmp_path / "restored", restored_url)
    done = _ok(manage(restored, "restore", str(archive)))
    assert f"restored {len(names)} files" in done
    _ok(manage(restored, "verify_audit_log"))

    out = tmp_path / "check"
    out.mkdir()
    checked = json.loads(
        _ok(manage({**restored, "CHECK_OUT": str(out), "BUNDLE": bundle}, "shell", "-c", CHECK)).splitlines()[
            -1
        ]
    )
    assert checked["answer"]["valid"] is True and checked["answer"]["company"] == "Acme AI"
    assert checked["credential_ok"], checked["reason"]
    verified = subprocess.run(
        [sys.executable, "-m", "workflowos.cli", "verify-bundle", str(out / "bundle.zip"),
         "--jwks", str(out / "jwks.json"), "--offline"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("ok:")

    # The restored instance now has data: a second restore is refused, and nothing changes.
    again = manage(restored, "restore", str(archive))
    assert again.returncode != 0 and "is not empty" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    # --force replaces the data: the same rows and files again, and the chains still verify.
    forced = _ok(manage(restored, "restore", "--force", str(archive)))
    assert f"restored {len(names)} files" in forced
    _ok(manage(restored, "verify_audit_log"))


# --- the archive is checked by content before anything is written ---------------------------------


def _archive(path: Path, members: dict[str, bytes], *, manifest: dict | None = None, extra=()) -> Path:
    """A backup-shaped archive of ``members`` with a correct manifest unless one is given."""
    if manifest is None:
        entry = {
            name: {
                "name": name.removeprefix("files/"),
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
            }
            for name, data in members.items()
        }
        manifest = {
            "format": "workflowos.backup/v1",
            "created": "2026-01-01T00:00:00Z",
            "database_vendor": "sqlite",
            "database": entry["database.jsonl"],
            "files": [e for n, e in entry.items() if n.startswith("files/")],
            "keys": {"source": "none", "kids": []},
        }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [*members.items(), ("manifest.json", json.dumps(manifest).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


GOOD = {"database.jsonl": b"", "files/evidence/abc": b"evidence bytes"}


def _refused(path: Path) -> str:
    with pytest.raises(DomainError) as refused:
        backup_restore(archive=path)
    return str(refused.value)


def test_restore_refuses_a_member_that_does_not_match_its_hash(tmp_path):
    good = _archive(tmp_path / "good.tar.gz", GOOD)
    with tarfile.open(good) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    bad = _archive(
        tmp_path / "bad.tar.gz", {**GOOD, "files/evidence/abc": b"evidence bytez"}, manifest=manifest
    )
    assert "does not match its SHA-256" in _refused(bad)


@pytest.mark.parametrize(
    "name",
    ["../outside", "/etc/cron.d/x", "files/../../outside", "files/evidence/../../x", "files/", "other.txt"],
)
def test_restore_refuses_names_that_could_escape(tmp_path, name):
    message = _refused(_archive(tmp_path / "a.tar.gz", {**GOOD, name: b"x"}))
    assert "not a member a backup contains" in message


def test_restore_refuses_links_and_devices(tmp_path):
    link = tarfile.TarInfo("files/evidence/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    message = _refused(_archive(tmp_path / "a.tar.gz", GOOD, extra=[link]))
    assert "only regular files" in message


def test_restore_refuses_members_missing_from_or_extra_to_the_manifest(tmp_path):
    good = _archive(tmp_path / "good.tar.gz", GOOD)
    with tarfile.open(good) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    extra = _archive(tmp_path / "extra.tar.gz", {**GOOD, "files/evidence/new": b"n"}, manifest=manifest)
    assert "not in its manifest" in _refused(extra)
    missing = _archive(tmp_path / "missing.tar.gz", {"database.jsonl": b""}, manifest=manifest)
    assert "missing from the archive" in _refused(missing)


def test_restore_refuses_oversized_members_and_non_archives(tmp_path, monkeypatch):
    import core.backup

    monkeypatch.setattr(core.backup, "MAX_MEMBER_BYTES", 10)
    assert "larger than 10 bytes" in _refused(_archive(tmp_path / "big.tar.gz", GOOD))
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b not really gzip")
    assert "not a readable .tar.gz backup" in _refused(junk)
    no_manifest = tmp_path / "plain.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        info = tarfile.TarInfo("database.jsonl")
        tar.addfile(info, io.BytesIO(b""))
    assert "no manifest.json" in _refused(no_manifest)


def test_restore_command_gives_a_clear_error_for_a_missing_file(tmp_path):
    result = manage(
        _env(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}"), "restore", str(tmp_path / "nope.tar.gz")
    )
    assert result.returncode != 0 and "no such file" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.integration
def test_a_ring_from_the_environment_is_never_written_and_must_be_the_same_on_restore(tmp_path):
    from lib.keys import generate_keyring_document

    ring = json.dumps(json.loads(generate_keyring_document()))
    kid = json.loads(ring)["keys"][0]["kid"]
    source = {
        **_env(tmp_path / "source", f"sqlite:///{tmp_path / 'source.sqlite3'}"),
        "WORKFLOWOS_SIGNING_KEYS": ring,
    }
    _ok(manage(source, "migrate", "--noinput", "-v", "0"))
    # Through a pipe, as `docker compose exec -T web python manage.py backup - > file` does.
    archive = tmp_path / "backup.tar.gz"
    with archive.open("wb") as out:
        backed_up = subprocess.run(
            [sys.executable, "manage.py", "backup", "-"], cwd=ROOT, env=source, stdout=out,
            stderr=subprocess.PIPE, text=False, timeout=300,
        )  # fmt: skip
    backed_up = subprocess.CompletedProcess(
        backed_up.args, backed_up.returncode, "", backed_up.stderr.decode()
    )
    _ok(backed_up)
    assert "backup written to stdout" in backed_up.stderr
    assert "are NOT in this backup" in backed_up.stderr and kid in backed_up.stderr
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        everything = b"".join(tar.extractfile(m).read() for m in tar.getmembers())  # type: ignore[union-attr]
    assert "keys/keyring.json" not in names and b"PRIVATE KEY" not in everything
    assert manifest["keys"] == {"source": "environment", "kids": [kid], "file": None}

    other = json.dumps(json.loads(generate_keyring_document()))
    wrong = {
        **_env(tmp_path / "wrong", f"sqlite:///{tmp_path / 'wrong.sqlite3'}"),
        "WORKFLOWOS_SIGNING_KEYS": other,
    }
    refused = manage(wrong, "restore", str(archive))
    assert refused.returncode != 0 and f"lack key(s) {kid}" in refused.stderr

    right = {
        **_env(tmp_path / "right", f"sqlite:///{tmp_path / 'right.sqlite3'}"),
        "WORKFLOWOS_SIGNING_KEYS": ring,
    }
    _ok(manage(right, "restore", str(archive)))


def test_backup_command_gives_a_clear_error_for_a_bad_output(tmp_path):
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    missing_folder = manage(env, "backup", str(tmp_path / "no" / "such" / "b.tar.gz"))
    assert missing_folder.returncode != 0 and "no such folder" in missing_folder.stderr
    (tmp_path / "exists.tar.gz").write_bytes(b"keep me")
    exists = manage(env, "backup", str(tmp_path / "exists.tar.gz"))
    assert exists.returncode != 0 and "already exists" in exists.stderr
    assert (tmp_path / "exists.tar.gz").read_bytes() == b"keep me"
    assert "Traceback" not in missing_folder.stderr + exists.stderr
