"""``workflowos verify-log``: check the issuer's transparency log from outside.

Save the log's checkpoint once (``--update`` writes it), then run, whenever you like::

    workflowos verify-log --url https://ISSUER --checkpoint saved.txt --mark TM-00142 --update

It checks, with nothing but the public API and RFC 9162 / C2SP arithmetic:

1. the current checkpoint (``/api/certify/log/checkpoint``) is signed by the log key
   (``--key``: a verifier key string or a file holding one; default: the issuer's
   ``/.well-known/tlog-key``, which then trusts that domain — pin it with ``--key``);
2. the log only grew since the saved checkpoint: a consistency proof from the saved size to
   the current one leads from the saved root to the current root (a shrunk, forked or rewritten
   log fails);
3. with ``--mark``, the mark's latest entry is included in the current tree (inclusion proof),
   and the verify API does not say anything the log contradicts (``valid: true`` for a mark the
   log says is revoked, or an integrity error).

Exit status: 0 all checks passed; 1 a check failed (the log or the issuer is not trustworthy);
2 usage, file or network error. The first run, with no saved checkpoint yet, needs ``--update``
(trust on first use) and saves it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lib import merkle
from lib.checkpoint import Checkpoint, NoteError, NoteVerifier, open_checkpoint

MAX_BYTES = 4 * 1024 * 1024
Fetch = Callable[[str], tuple[int, bytes]]


class Usage(Exception):
    """Exit status 2."""


class Failed(Exception):
    """Exit status 1."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="the issuer, e.g. https://certify.example.org")
    parser.add_argument(
        "--checkpoint", required=True, metavar="SAVED", help="the checkpoint you saved earlier (a file)"
    )
    parser.add_argument(
        "--mark", metavar="TM-NNNNN", help="also prove this mark's latest status is in the log"
    )
    parser.add_argument("--key", metavar="VKEY_OR_FILE", help="the log's verifier key (name+id+base64)")
    parser.add_argument(
        "--update", action="store_true", help="save the new checkpoint when every check passes"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")


def http_fetch(timeout: float) -> Fetch:
    def fetch(url: str) -> tuple[int, bytes]:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise Usage(f"refusing to fetch {url!r}: only http and https")
        request = urllib.request.Request(url, headers={"User-Agent": "workflowos-verify-log/1"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read(MAX_BYTES + 1)[:MAX_BYTES]
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(MAX_BYTES)
        except OSError as exc:
            raise Usage(f"cannot fetch {url}: {getattr(exc, 'reason', None) or exc}") from exc

    return fetch


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)


class Client:
    def __init__(self, base: str, fetch: Fetch) -> None:
        parts = urllib.parse.urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Usage(f"--url must be an http(s) address, not {base!r}")
        self.base = base.rstrip("/")
        self.fetch = fetch

    def get(self, path: str, **params: Any) -> tuple[int, bytes]:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return self.fetch(f"{self.base}{path}" + (f"?{query}" if query else ""))

    def ok(self, path: str, **params: Any) -> bytes:
        status, body = self.get(path, **params)
        if status == 409:
            raise Failed(f"the issuer reports its log failed an integrity check ({path}): {_message(body)}")
        if status != 200:
            raise Usage(f"{path} answered HTTP {status}: {_message(body)}")
        return body

    def json(self, path: str, **params: Any) -> dict[str, Any]:
        try:
            data = json.loads(self.ok(path, **params))
        except ValueError as exc:
            raise Usage(f"{path} did not answer JSON") from exc
        if not isinstance(data, dict):
            raise Usage(f"{path} did not answer a JSON object")
        return data


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
        return _printable(str(data.get("message") or data.get("error") or ""))[:300]
    except (ValueError, AttributeError):
        return _printable(body[:200].decode("utf-8", "replace"))


def _verifier(arg: str | None, client: Client) -> NoteVerifier:
    text = arg
    if text is not None and Path(text).is_file():
        text = Path(text).read_text("utf-8")
    if text is None:
        text = client.ok("/.well-known/tlog-key").decode("utf-8", "replace")
    try:
        return NoteVerifier.parse(text.strip())
    except NoteError as exc:
        raise Usage(f"the log key: {exc}") from exc


def _hashes(items: Any, what: str) -> list[bytes]:
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise Failed(f"the {what} proof is not a list of base64 hashes")
    try:
        return [base64.b64decode(i, validate=True) for i in items]
    except ValueError as exc:
        raise Failed(f"the {what} proof is not base64") from exc


def _check_consistency(client: Client, saved: Checkpoint, new: Checkpoint) -> str:
    if new.size < saved.size:
        raise Failed(f"the log shrank from {saved.size} to {new.size} entries since your checkpoint")
    if new.size == saved.size:
        if new.root != saved.root:
            raise Failed(f"two different trees of size {new.size}: the log was rewritten (a fork)")
        return f"ok: the log has not changed since your checkpoint ({new.size} entries)"
    data = client.json("/api/certify/log/proof/consistency", first=saved.size, second=new.size)
    try:
        merkle.verify_consistency(
            saved.size, new.size, _hashes(data.get("proof"), "consistency"), saved.root, new.root
        )
    except merkle.ProofError as exc:
        raise Failed(f"the log is not an extension of your checkpoint: {exc}") from exc
    return f"ok: the log only grew since your checkpoint ({saved.size} -> {new.size} entries)"


def _check_mark(client: Client, mark: str, new: Checkpoint) -> list[str]:
    data = client.json("/api/certify/log/proof/inclusion", id=mark, tree_size=new.size)
    try:
        leaf_bytes = base64.b64decode(str(data.get("leaf_b64", "")), validate=True)
        leaf = json.loads(leaf_bytes)
        index = int(data["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Failed("the inclusion answer is malformed") from exc
    if not isinstance(leaf, dict) or str(leaf.get("mark", "")).upper() != mark.upper():
        raise Failed(f"the log entry #{index} the issuer returned is not about {mark}")
    try:
        merkle.verify_inclusion(
            index, new.size, merkle.leaf_hash(leaf_bytes), _hashes(data.get("proof"), "inclusion"), new.root
        )
    except merkle.ProofError as exc:
        raise Failed(f"{mark}'s entry #{index} is not in the signed tree: {exc}") from exc
    status = str(leaf.get("status", ""))
    lines = [
        f"ok: {mark} is {_printable(status)} (until {_printable(str(leaf.get('expires')))}) "
        f"per log entry #{index} ({_printable(str(leaf.get('kind')))} {_printable(str(leaf.get('time')))})"
    ]
    code, body = client.get("/api/certify/trust-mark/verify", id=mark)
    try:
        answer = json.loads(body)
    except ValueError:
        answer = {}
    if code == 409:
        raise Failed(f"the verify API refuses {mark}: {_message(body)}")
    if code == 404:
        raise Failed(f"the verify API does not know {mark}, which the signed log holds (record deleted?)")
    if code == 200 and isinstance(answer, dict):
        if answer.get("valid") is True and status != "active":
            raise Failed(f"the verify API says {mark} is valid, but the signed log says it is {status}")
        said = answer.get("status")
        if said not in (status, "expired"):
            raise Failed(f"the verify API says {mark} is {said}, the signed log says {status}")
        lines.append(f"ok: the verify API agrees ({'valid' if answer.get('valid') else said})")
    return lines


def _save(path: Path, note: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(note, "utf-8")
    os.replace(tmp, path)


def run(args: argparse.Namespace, fetch: Fetch | None = None) -> int:
    out: list[str] = []
    try:
        client = Client(args.url, fetch or http_fetch(args.timeout))
        saved_path = Path(args.checkpoint)
        saved_note: str | None = None
        if saved_path.exists():
            try:
                saved_note = saved_path.read_text("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise Usage(f"cannot read {saved_path}: {exc}") from exc
        elif not args.update:
            raise Usage(f"{saved_path} does not exist; run once with --update to save the first checkpoint")
        verifier = _verifier(args.key, client)
        note = client.ok("/api/certify/log/checkpoint").decode("utf-8", "replace")
        try:
            new = open_checkpoint(note, verifier)
        except NoteError as exc:
            raise Failed(f"the current checkpoint is not validly signed by {verifier.name}: {exc}") from exc
        out.append(f"ok: checkpoint of {new.origin}, {new.size} entries, signed by key {verifier.id:08x}")
        if saved_note is not None:
            try:
                saved = open_checkpoint(saved_note, verifier)
            except NoteError as exc:
                raise Failed(f"your saved checkpoint is not signed by this log key: {exc}") from exc
            out.append(_check_consistency(client, saved, new))
        else:
            out.append("note: no saved checkpoint yet; this one is trusted on first use")
        if args.mark:
            out.extend(_check_mark(client, args.mark.strip(), new))
        if args.update:
            _save(saved_path, note)
            out.append(f"saved the new checkpoint to {saved_path}")
    except Usage as exc:
        if out:
            print("\n".join(out))
        print(f"error: {_printable(str(exc))}", file=sys.stderr)
        return 2
    except Failed as exc:
        if out:
            print("\n".join(out))
        print(f"FAILED: {_printable(str(exc))}")
        return 1
    print("\n".join(out))
    return 0
