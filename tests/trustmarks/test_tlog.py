"""The trust-mark transparency log: appends from the lifecycle, the public API, the CLI, backfill."""

from __future__ import annotations

import argparse
import base64
import json
import os

import pytest
from django.core.management import call_command

from lib import merkle
from lib.checkpoint import NoteVerifier, open_checkpoint
from tests.trustmarks.helpers import ISSUER, lead_assessor
from tests.trustmarks.tlog_helpers import verify_log

pytestmark = pytest.mark.django_db


def _checkpoint(client):  # type: ignore[no-untyped-def]
    key = NoteVerifier.parse(client.get("/.well-known/tlog-key").content.decode())
    note = client.get("/api/certify/log/checkpoint").content.decode()
    return note, open_checkpoint(note, key)


def test_lifecycle_changes_are_logged_with_public_leaves(client, make_mark, personas):
    from trustmarks.services import trust_mark_reinstate, trust_mark_suspend

    mark = make_mark()
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="Confidential finding about PSF-6")
    trust_mark_reinstate(mark=mark, actor=personas.ada, reason="Fixed", approver=lead_assessor())
    data = json.loads(client.get("/api/certify/log/entries?start=0").content)
    assert data["tree_size"] == 3 and data["start"] == 0 and data["end"] == 3
    kinds = [(e["leaf"]["kind"], e["leaf"]["status"]) for e in data["entries"]]
    assert kinds == [("issued", "active"), ("suspended", "suspended"), ("reinstated", "active")]
    leaf = data["entries"][1]["leaf"]
    assert leaf["mark"] == mark.mark_id and leaf["expires"] == mark.expires.isoformat()
    assert set(leaf) == {
        "v",
        "kind",
        "mark",
        "status",
        "expires",
        "credential_sha256",
        "time",
        "event",
        "audit",
    }
    assert "Confidential" not in json.dumps(data)
    for entry in data["entries"]:
        raw = json.dumps(entry["leaf"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert merkle.leaf_hash(raw).hex() == entry["leaf_hash"]


def test_checkpoint_is_a_signed_note_with_the_published_key(client, make_mark):
    make_mark()
    resp = client.get("/api/certify/log/checkpoint")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "text/plain; charset=utf-8"
    assert resp["Access-Control-Allow-Origin"] == "*"
    lines = resp.content.decode().split("\n")
    assert lines[0] == "certify.example.org/trust-marks/log" and lines[1] == "1" and lines[3] == ""
    assert lines[4].startswith("— certify.example.org/trust-marks/log ")
    key = client.get("/.well-known/tlog-key")
    assert key["Content-Type"] == "text/plain; charset=utf-8"
    vkey = key.content.decode().strip()
    assert vkey.startswith("certify.example.org/trust-marks/log+")
    checkpoint = open_checkpoint(resp.content, NoteVerifier.parse(vkey))
    assert checkpoint.size == 1


def test_proofs_verify_against_the_checkpoint(client, make_mark, personas):
    from trustmarks.services import trust_mark_revoke

    marks = [make_mark(company=f"Co {i}") for i in range(5)]
    _, first = _checkpoint(client)
    trust_mark_revoke(mark=marks[2], actor=personas.ada, reason="Withdrawn", approver=lead_assessor())
    note, second = _checkpoint(client)
    assert second.size == first.size + 1
    data = json.loads(client.get(f"/api/certify/log/proof/inclusion?id={marks[2].mark_id}").content)
    assert data["leaf"]["kind"] == "revoked" and data["index"] == 5 and data["tree_size"] == 6
    assert data["checkpoint"] == note
    leaf = base64.b64decode(data["leaf_b64"])
    proof = [base64.b64decode(h) for h in data["proof"]]
    merkle.verify_inclusion(data["index"], second.size, merkle.leaf_hash(leaf), proof, second.root)
    # Lower case id, an index, and an older tree size.
    by_index = json.loads(client.get("/api/certify/log/proof/inclusion?index=1&tree_size=3").content)
    assert by_index["leaf"]["mark"] == marks[1].mark_id and by_index["tree_size"] == 3
    lower = client.get(f"/api/certify/log/proof/inclusion?id={marks[0].mark_id.lower()}")
    assert json.loads(lower.content)["index"] == 0
    cons = json.loads(client.get(f"/api/certify/log/proof/consistency?first={first.size}").content)
    assert cons["second"] == second.size
    merkle.verify_consistency(
        first.size, second.size, [base64.b64decode(h) for h in cons["proof"]], first.root, second.root
    )


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/certify/log/entries", "start"),
        ("/api/certify/log/entries?start=-1", "start"),
        ("/api/certify/log/entries?start=x", "start"),
        ("/api/certify/log/entries?start=5&end=5", "end"),
        ("/api/certify/log/entries?start=0&end=1001", "end"),
        ("/api/certify/log/entries?start=1&start=2", "start"),
        ("/api/certify/log/proof/inclusion", "id"),
        ("/api/certify/log/proof/inclusion?id=TM-1", "id"),
        ("/api/certify/log/proof/inclusion?id=TM-00142&index=0", "index"),
        ("/api/certify/log/proof/inclusion?index=99", "index"),
        ("/api/certify/log/proof/inclusion?index=0&tree_size=0", "tree_size"),
        ("/api/certify/log/proof/inclusion?index=0&tree_size=9", "tree_size"),
        ("/api/certify/log/proof/consistency", "first"),
        ("/api/certify/log/proof/consistency?first=3&second=2", "first"),
        ("/api/certify/log/proof/consistency?first=0&second=99", "second"),
    ],
)
def test_bad_parameters_answer_400_with_field_errors(client, make_mark, url, field):
    make_mark()
    make_mark(company="Other")
    resp = client.get(url)
    assert resp.status_code == 400, resp.content
    body = json.loads(resp.content)
    assert body["error"] and body["message"]
    if field:
        assert body["errors"][0]["path"] == field
    assert resp["Access-Control-Allow-Origin"] == "*"


def test_unknown_mark_has_no_proof(client, make_mark):
    make_mark()
    resp = client.get("/api/certify/log/proof/inclusion?id=TM-99999")
    assert resp.status_code == 404
    assert json.loads(resp.content)["error"] == "not_found"


def test_empty_log_has_a_signed_checkpoint_of_size_zero(client):
    _, checkpoint = _checkpoint(client)
    assert checkpoint.size == 0 and checkpoint.root == merkle.EMPTY_ROOT
    assert json.loads(client.get("/api/certify/log/entries?start=0").content)["entries"] == []


def test_verify_log_cli_end_to_end(client, make_mark, personas, tmp_path, capsys):
    from trustmarks.services import trust_mark_revoke

    mark = make_mark()
    # First run: no saved checkpoint, --update trusts it and saves it.
    assert verify_log(client, tmp_path) == 2
    assert "run once with --update" in capsys.readouterr().err
    assert verify_log(client, tmp_path, "--update") == 0
    saved = (tmp_path / "saved.txt").read_text()
    assert saved.split("\n")[1] == "1"
    other = make_mark(company="Other")
    trust_mark_revoke(mark=mark, actor=personas.ada, reason="Withdrawn", approver=lead_assessor())
    capsys.readouterr()
    assert verify_log(client, tmp_path, "--mark", mark.mark_id) == 0
    out = capsys.readouterr().out
    assert "the log only grew since your checkpoint (1 -> 3 entries)" in out
    assert f"{mark.mark_id} is revoked" in out and "the verify API agrees (revoked)" in out
    assert (tmp_path / "saved.txt").read_text() == saved  # not updated without --update
    assert verify_log(client, tmp_path, "--mark", other.mark_id, "--update") == 0
    assert (tmp_path / "saved.txt").read_text().split("\n")[1] == "3"
    # A pinned key: the published one verifies; another key does not.
    vkey = client.get("/.well-known/tlog-key").content.decode().strip()
    assert verify_log(client, tmp_path, key=vkey) == 0
    from lib.checkpoint import NoteSigner
    from trustmarks.tlog import generate_skey

    stranger = NoteSigner.from_skey(generate_skey("certify.example.org/trust-marks/log")).verifier.vkey
    capsys.readouterr()
    assert verify_log(client, tmp_path, key=stranger) == 1
    assert "not validly signed" in capsys.readouterr().out


def test_verify_log_cli_usage_errors(client, tmp_path, capsys):
    from workflowos.cli import main

    assert main(["verify-log", "--url", ISSUER]) == 2
    assert verify_log(client, tmp_path, "--update", key="not a key") == 2
    assert "the log key" in capsys.readouterr().err
    args = argparse.Namespace(
        url="ftp://x", checkpoint=str(tmp_path / "c"), mark=None, key=None, update=True, timeout=1
    )
    from trustmarks import verify_log_cli

    assert verify_log_cli.run(args) == 2
    # A network error is exit 2 (nothing listens on this port of our range).
    args.url = "http://127.0.0.1:18599"
    assert verify_log_cli.run(args) == 2


def test_backfill_logs_history_made_before_the_log(client, make_mark, personas, capsys):
    from trustmarks import tlog
    from trustmarks.models import LogEntry, LogHead, LogNode
    from trustmarks.services import trust_mark_suspend

    mark = make_mark()
    trust_mark_suspend(mark=mark, actor=personas.ada, reason="x")
    make_mark(company="Other")
    before = [json.loads(e) for e in LogEntry.objects.order_by("index").values_list("leaf", flat=True)]
    # As in a database from before the transparency log.
    LogEntry.objects.all().delete()
    LogNode.objects.all().delete()
    LogHead.objects.all().delete()
    call_command("tlog_backfill")
    assert "logged 3 event(s); the log now holds 3 entries" in capsys.readouterr().out
    after = [json.loads(e) for e in LogEntry.objects.order_by("index").values_list("leaf", flat=True)]
    assert [(a["kind"], a["mark"], a["status"], a["event"]) for a in after] == [
        (b["kind"], b["mark"], b["status"], b["event"]) for b in before
    ]
    assert tlog.log_verify().ok
    assert tlog.backfill() == 0  # idempotent
    from core.audit import audit_chain_seal

    audit_chain_seal(chain="audit")  # the session's audit chain, sealed with this test's key ring
    call_command("verify_audit_log")


def test_seed_demo_has_a_verifiable_log(client, settings, tmp_path, rubric_version):
    call_command("seed_demo")
    from trustmarks import tlog

    report = tlog.log_verify()
    assert report.ok, report.problems
    assert report.size >= 5
    for mark_id in ("TM-00142", "TM-00143", "TM-00144", "TM-00145"):
        assert client.get(f"/api/certify/trust-mark/verify?id={mark_id}").status_code == 200


def test_witness_file_follows_commits(make_mark, django_capture_on_commit_callbacks, settings):
    from trustmarks import tlog

    assert tlog.witness_checkpoint() is None  # off in tests unless asked for
    settings.WITNESS_FILES = True

    with django_capture_on_commit_callbacks(execute=True):
        make_mark()
    with django_capture_on_commit_callbacks(execute=True):
        make_mark(company="Other")
    witness = tlog.witness_checkpoint()
    assert witness is not None and witness.size == 2
    path = settings.SIGNING_KEYS_DIR / tlog.WITNESS_FILE
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    # An older checkpoint never replaces a newer one.
    older = tlog.LogHead.objects.get().checkpoint
    path.write_text(older)
    tlog._write_witness(older)
    assert tlog.witness_checkpoint().size == 2


def test_log_key_is_derived_from_the_ring_and_survives_rotation(make_mark, client):
    from trustmarks import tlog
    from trustmarks.services import signing_key_rotate

    make_mark()
    before = client.get("/.well-known/tlog-key").content
    signing_key_rotate()
    assert client.get("/.well-known/tlog-key").content == before
    make_mark(company="Other")
    _, checkpoint = tlog.signed_checkpoint()
    assert checkpoint.size == 2


def test_log_key_from_the_environment(monkeypatch, make_mark, client):
    from trustmarks import tlog

    skey = tlog.generate_skey("example.org/custom-log")
    monkeypatch.setenv(tlog.KEY_ENV_VAR, skey)
    make_mark()
    note = client.get("/api/certify/log/checkpoint").content.decode()
    assert note.startswith("example.org/custom-log\n1\n")
    assert client.get("/.well-known/tlog-key").content.decode().startswith("example.org/custom-log+")
