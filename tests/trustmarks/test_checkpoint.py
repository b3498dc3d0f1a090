"""lib.checkpoint: C2SP signed notes and checkpoints, checked against Go's sumdb/note vector."""

from __future__ import annotations

import base64

import pytest

from lib.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    open_note,
    parse_checkpoint_text,
    sign_checkpoint,
)

# golang.org/x/mod/sumdb/note's example keys and signed note (data only).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_go_signer_reproduces_the_go_note_and_key_id():
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.verifier.id == 0xC74F20A3
    assert signer.verifier.vkey == GO_VKEY
    assert signer.sign(GO_TEXT) == GO_NOTE


def test_go_note_opens_with_the_go_verifier_key():
    verifier = NoteVerifier.parse(GO_VKEY)
    assert open_note(GO_NOTE, [verifier]) == GO_TEXT


def test_tampered_or_unknown_notes_are_refused():
    verifier = NoteVerifier.parse(GO_VKEY)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptograph!"), [verifier])
    other = NoteSigner.from_skey(GO_SKEY)
    stranger = NoteSigner("EnochRoot", other.private_key)
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(stranger.sign(GO_TEXT), [verifier])
    # An unknown extra signature (a witness) is ignored.
    cosigned = GO_NOTE + stranger.sign(GO_TEXT).split("\n\n", 1)[1]
    assert open_note(cosigned, [verifier]) == GO_TEXT
    for bad in ["", "no blank line\n", GO_TEXT + "\n", GO_NOTE.replace("— ", "- "), GO_NOTE + "\x07"]:
        with pytest.raises(NoteError):
            open_note(bad, [verifier])


def test_bad_keys_are_refused():
    for bad in [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3+AhpczQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong type
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+!!!",
    ]:
        with pytest.raises(NoteError):
            NoteVerifier.parse(bad)


def test_checkpoint_round_trip_and_format():
    signer = NoteSigner.from_skey(GO_SKEY.replace("PeterNeumann", "PeterNeumann"))
    origin_signer = NoteSigner("example.com/log", signer.private_key)
    checkpoint = Checkpoint("example.com/log", 20852163, bytes(range(32)))
    note = sign_checkpoint(checkpoint, origin_signer)
    lines = note.split("\n")
    assert lines[0] == "example.com/log"
    assert lines[1] == "20852163"
    assert base64.b64decode(lines[2]) == bytes(range(32))
    assert lines[3] == ""
    assert lines[4].startswith("— example.com/log ")
    sig = base64.b64decode(lines[4].split(" ")[2])
    assert int.from_bytes(sig[:4], "big") == origin_signer.verifier.id and len(sig) == 68
    assert open_checkpoint(note, origin_signer.verifier) == checkpoint
    with pytest.raises(NoteError, match="not 'other'"):
        open_checkpoint(note, origin_signer.verifier, origin="other")
    with pytest.raises(NoteError):
        open_checkpoint(note.replace("20852163", "20852164"), origin_signer.verifier)


@pytest.mark.parametrize(
    "text",
    [
        "origin\n",
        "origin\n007\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n7\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "\n1\n" + base64.b64encode(bytes(32)).decode() + "\n",
    ],
)
def test_malformed_checkpoints(text):
    with pytest.raises(NoteError):
        parse_checkpoint_text(text)
