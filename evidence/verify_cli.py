"""``workflowos verify-bundle FILE.zip [--jwks FILE_OR_URL]``: check a signed evidence bundle.

Checks the Ed25519 signature (``manifest.sig``) over ``manifest.json`` and the SHA-256 and size
of every file it lists, and reports files added to the ZIP. Pass the issuer's published keys
(``https://ISSUER/.well-known/jwks.json``, saved to a file or given as the URL) with ``--jwks``.
Without it the bundle's own ``jwks.json`` is used: that shows nothing changed since signing, but
anyone could re-sign an altered bundle with their own key, so the command warns you to compare
the key id it prints with the issuer's published key set.

Exit status: 0 intact, 1 altered (each problem named on its own line), 2 unusable input.
"""

from __future__ import annotations

import argparse
import sys

from evidence.bundle import BundleError, verify_bundle
from lib.keys import load_jwks


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="FILE.zip", help="the evidence bundle")
    parser.add_argument(
        "--jwks", metavar="FILE_OR_URL", help="the issuer's public keys (/.well-known/jwks.json)"
    )
    parser.add_argument(
        "--offline", action="store_true", help="never use the network (--jwks must be a file)"
    )


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def run(args: argparse.Namespace) -> int:
    try:
        jwks = load_jwks(args.jwks, allow_network=not args.offline) if args.jwks else None
        result = verify_bundle(args.bundle, jwks)
    except (BundleError, ValueError, OSError) as exc:
        print(f"error: {_printable(str(exc))}", file=sys.stderr)
        return 2
    if result.used_embedded_jwks:
        print(
            "warning: checked with the bundle's own jwks.json, which proves integrity, not origin; "
            f"check that key {result.kid or '?'} is in the issuer's published /.well-known/jwks.json "
            "(or pass it with --jwks)",
            file=sys.stderr,
        )
    if not result.ok:
        print(f"invalid: {len(result.problems)} problem(s) in {_printable(args.bundle)}")
        for problem in result.problems:
            print(f"  {_printable(problem)}")
        return 1
    created = (result.manifest or {}).get("created", "?")
    print(f"ok: {result.files_checked} files match the manifest of {created}, signed by key {result.kid}")
    return 0
