"""``workflowos verify-credential``: check a trust mark from its signed credential.

Verifying a trust mark offline
------------------------------

Every trust mark is also an Open Badges 3.0 credential (W3C Verifiable Credentials 2.0) signed
by the issuer with Ed25519 as a VC-JWT. Anyone can check it without asking the issuer's website,
with two things:

1. **The credential**, any of: the web badge itself (the SVG and PNG badges carry the credential
   baked in), the ``.jwt`` file served at the mark's ``credential_url``, the ``credential.jwt``
   attached to the PDF badge (``pdfdetach -saveall badge.pdf``), or the token pasted as text.
2. **The issuer's public keys**: download ``https://ISSUER/.well-known/jwks.json`` once, from a
   source you trust. Retired keys stay in that file, so one copy also verifies older marks.

Then run::

    workflowos verify-credential badge.svg --jwks jwks.json --offline
    valid: TM-00142 Acme AI, valid until 2026-12-31 (status not checked: offline)

Offline, the command checks the signature (with the key named by the token's ``kid``, either
``https://ISSUER/.well-known/jwks.json#<thumbprint>`` or, in older credentials, the bare
thumbprint) and the validity dates. Suspension and revocation are published as a signed W3C
Bitstring Status List (the ``credentialStatus`` URL in the credential: one two-bit ``message``
entry, ``0x1`` suspended, ``0x2`` revoked; older credentials name a revocation and a suspension
list); online the command fetches and verifies it::

    workflowos verify-credential badge.png --jwks https://ISSUER/.well-known/jwks.json
    valid: TM-00142 Acme AI, valid until 2026-12-31

Each list covers every mark of the issuer, so fetching it does not tell the issuer which mark
you check. To check status on an air-gapped machine, download the list(s) beforehand and pass
them with ``--status-list FILE`` (once each). Without ``--jwks`` (online only) the keys are
fetched from the ``/.well-known/jwks.json`` of the issuer named in the credential, which then
trusts that domain.

Output is one line, ``valid: …`` or ``invalid: <reason>``; exit status 0 valid, 1 invalid
(bad signature, unknown key, expired, not yet valid, revoked, suspended, status unavailable),
2 unusable input (no credential found, unreadable key set).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lib import safejson
from lib.jws import issuer_id, jwks_url
from lib.keys import b64url_decode, fetch_url, load_jwks
from trustmarks.badges import BadgeFormatError, extract_baked_credential
from trustmarks.credentials import summarize, verify_credential_jwt

MAX_INPUT_BYTES = 8 * 1024 * 1024
_JWS_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class UnusableInput(Exception):
    """Nothing to verify (exit status 2)."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "credential", metavar="FILE_OR_JWT", help="a badge (SVG/PNG), a .jwt file, a JWT, or - for stdin"
    )
    parser.add_argument(
        "--jwks", metavar="FILE_OR_URL", help="the issuer's public keys (/.well-known/jwks.json)"
    )
    parser.add_argument("--offline", action="store_true", help="no network: check signature and dates only")
    parser.add_argument(
        "--status-list",
        metavar="FILE",
        action="append",
        default=[],
        help="a status-list VC-JWT downloaded beforehand (repeat for several lists)",
    )


def _printable(text: str) -> str:
    """Text from a credential, safe for a terminal (no escape sequences or line breaks)."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def read_token(arg: str) -> str:
    """The compact VC-JWT given on the command line, in a file, in a badge, or on stdin."""
    path = Path(arg)
    try:
        is_file = arg != "-" and path.is_file()
    except OSError:  # e.g. a long JWT is "File name too long"
        is_file = False
    if arg == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    elif is_file:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise UnusableInput(f"{arg}: too large")
        data = path.read_bytes()
    elif _JWS_RE.fullmatch(arg.strip()):
        return arg.strip()
    else:
        raise UnusableInput(f"{arg}: no such file, and not a compact JWT")
    if len(data) > MAX_INPUT_BYTES:
        raise UnusableInput("input too large")
    try:
        baked = extract_baked_credential(data)
    except BadgeFormatError as exc:
        raise UnusableInput(str(exc)) from exc
    if baked is None and (data.startswith(b"\x89PNG") or data.lstrip()[:1] == b"<"):
        raise UnusableInput("no credential is baked into this badge")
    text = (baked if baked is not None else data.decode("utf-8", "replace")).strip()
    if text.startswith("{"):
        raise UnusableInput("this is a JSON credential; only signed VC-JWT credentials can be verified")
    if not _JWS_RE.fullmatch(text):
        raise UnusableInput("not a compact JWT credential")
    return text


def _unverified_payload(token: str) -> dict[str, Any]:
    try:
        payload = safejson.loads(b64url_decode(token.split(".")[1]))
    except (ValueError, IndexError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _default_jwks_url(token: str) -> str:
    try:
        return jwks_url(issuer_id(_unverified_payload(token)) or "")
    except ValueError as exc:
        raise UnusableInput("the credential's issuer is not a web address; pass --jwks") from exc


def _status_fetcher(files: list[str], offline: bool) -> Callable[[str], str] | None:
    preloaded: dict[str, str] = {}
    for name in files:
        try:
            token = Path(name).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UnusableInput(f"cannot read status list {name}: {exc}") from exc
        url = _unverified_payload(token).get("id")
        if not isinstance(url, str):
            raise UnusableInput(f"{name}: not a status-list credential")
        preloaded[url] = token
    if offline and not preloaded:
        return None

    def fetch(url: str) -> str:
        if url in preloaded:
            return preloaded[url]
        if offline:
            raise ValueError(f"offline and no --status-list for {url}")
        return fetch_url(url, max_bytes=1024 * 1024).decode("utf-8", "replace").strip()

    return fetch


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    try:
        token = read_token(args.credential)
        source = args.jwks or (None if args.offline else _default_jwks_url(token))
        if source is None:
            raise UnusableInput("offline verification needs the issuer's keys: --jwks FILE")
        try:
            jwks = load_jwks(source, allow_network=not args.offline)
        except ValueError as exc:
            raise UnusableInput(str(exc)) from exc
        fetcher = _status_fetcher(args.status_list, args.offline)
    except UnusableInput as exc:
        print(f"error: {_printable(str(exc))}", file=sys.stderr)
        return 2

    result = verify_credential_jwt(token, jwks, now=now or datetime.now(UTC), status_fetcher=fetcher)
    summary = summarize(result.credential) if result.credential else None
    who = _printable(f"{summary.mark_id} {summary.company}".strip()) if summary else ""
    if not result.ok:
        print(f"invalid: {_printable(result.reason)}" + (f" ({who})" if who else ""))
        return 1
    assert summary is not None
    until = summary.valid_until.isoformat() if summary.valid_until else "?"
    note = "" if result.status_checked else " (status not checked: offline)"
    print(f"valid: {who}, valid until {until}{note}")
    return 0
