"""Signed evidence bundles: a ZIP of the evidence files, a SHA-256 manifest and its Ed25519 signature.

Layout of a bundle::

    manifest.json   {"format": "workflowos.evidence-manifest/v1", "created": "…Z",
                     "generator": "WorkflowOS 0.1.0",
                     "files": [{"path": "evidence.pdf", "sha256": "…", "size": 123}, …]}
    manifest.sig    a detached compact JWS (RFC 7515 Appendix F: ``header..signature``) over the
                    exact bytes of manifest.json; header ``{"alg":"EdDSA","kid":…,
                    "typ":"workflowos-manifest+jws"}``
    jwks.json       the issuer's public keys at signing time (a convenience, NOT a trust anchor:
                    check it against the issuer's published /.well-known/jwks.json)
    <the files>     every path listed in the manifest, sorted

``verify_bundle`` checks the signature and every hash and names each problem: a file altered,
missing or added, a manifest or signature that does not verify. It never extracts to disk and
caps entry count and sizes, so a hostile ZIP (path traversal, bombs, duplicate names) is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lib import safejson
from lib.jws import JwsError, format_vc_time, sign_compact, verify_compact
from lib.keys import validate_jwks

if TYPE_CHECKING:
    from lib.keys import KeyRing

MANIFEST_FORMAT = "workflowos.evidence-manifest/v1"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
JWKS_NAME = "jwks.json"
RESERVED = frozenset({MANIFEST_NAME, SIGNATURE_NAME, JWKS_NAME})
SIG_TYP = "workflowos-manifest+jws"

MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_META_BYTES = 16 * 1024 * 1024  # manifest.json, manifest.sig, jwks.json

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class BundleError(ValueError):
    """Input that is not a usable bundle at all (not a ZIP, unreadable, unsafe to open)."""


def check_path(path: str) -> str | None:
    """Why ``path`` is not a safe bundle path (relative POSIX, no ``..``), or ``None`` if it is."""
    if not path or len(path) > 512:
        return "empty or too long"
    if path.startswith("/") or "\\" in path or re.match(r"^[A-Za-z]:", path):
        return "absolute or not a POSIX path"
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return "control character in the name"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "empty, '.' or '..' path segment"
    return None


def _generator() -> str:
    try:
        from importlib.metadata import version

        return f"WorkflowOS {version('workflowos')}"
    except Exception:  # not installed as a distribution (a source checkout)
        return "WorkflowOS"


def build_manifest(
    files: Mapping[str, bytes], *, created: datetime | None = None, generator: str | None = None
) -> dict[str, Any]:
    """The manifest of ``files`` (path → content): SHA-256 and size of each, sorted by path."""
    entries = []
    for path in sorted(files):
        problem = check_path(path)
        if problem:
            raise ValueError(f"bad bundle path {path!r}: {problem}")
        if path in RESERVED:
            raise ValueError(f"{path} is reserved for the bundle's own metadata")
        content = files[path]
        entries.append({"path": path, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)})
    return {
        "format": MANIFEST_FORMAT,
        "created": format_vc_time(created or datetime.now(UTC)),
        "generator": generator or _generator(),
        "files": entries,
    }


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The exact bytes written as manifest.json (and signed): sorted keys, indented, UTF-8."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def sign_manifest(data: bytes, ring: KeyRing) -> str:
    """The detached JWS (``header..signature``) over manifest.json bytes."""
    return sign_compact(data, ring, headers={"typ": SIG_TYP}, detached=True)


def write_bundle(
    target: str | Path | BinaryIO,
    files: Mapping[str, bytes],
    ring: KeyRing,
    *,
    created: datetime,
    generator: str | None = None,
    include_jwks: bool = True,
) -> dict[str, Any]:
    """Write the signed bundle of ``files`` to a path or binary file object; returns the manifest.

    ZIP timestamps come from ``created`` so the same inputs give the same archive bytes
    (the Ed25519 signature is deterministic too).
    """
    manifest = build_manifest(files, created=created, generator=generator)
    data = manifest_bytes(manifest)
    stamp = created.astimezone(UTC).timetuple()[:6]
    members: list[tuple[str, bytes]] = [
        (MANIFEST_NAME, data),
        (SIGNATURE_NAME, sign_manifest(data, ring).encode()),
    ]
    if include_jwks:
        members.append((JWKS_NAME, (json.dumps(ring.jwks(), indent=2) + "\n").encode("utf-8")))
    members += [(entry["path"], files[entry["path"]]) for entry in manifest["files"]]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return manifest


@dataclass
class BundleVerification:
    """The verdict on a bundle: ``ok`` only when ``problems`` is empty.

    ``problems`` are one-line, human-readable and start with what they are about
    (``altered: data/analysis.json …``, ``missing: …``, ``extra: …``, ``manifest.sig: …``).
    """

    ok: bool
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    kid: str | None = None
    files_checked: int = 0
    used_embedded_jwks: bool = False


def _read_limited(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int
) -> tuple[str, int, bytes | None]:
    """SHA-256 and size of an entry, reading at most ``limit`` + 1 bytes (the header may lie)."""
    digest = hashlib.sha256()
    size = 0
    keep: list[bytes] | None = [] if limit <= MAX_META_BYTES else None
    with archive.open(info) as stream:
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise BundleError(f"{info.filename}: larger than {limit} bytes")
            digest.update(chunk)
            if keep is not None:
                keep.append(chunk)
    return digest.hexdigest(), size, b"".join(keep) if keep is not None else None


def _manifest_problem(manifest: Any) -> str | None:
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return f"not a {MANIFEST_FORMAT} document"
    files = manifest.get("files")
    if not isinstance(files, list):
        return 'no "files" list'
    seen: set[str] = set()
    for n, entry in enumerate(files):
        if not isinstance(entry, dict):
            return f"files[{n}] is not an object"
        path, sha, size = entry.get("path"), entry.get("sha256"), entry.get("size")
        if not isinstance(path, str) or check_path(path) or path in RESERVED or path in seen:
            return f"files[{n}].path is unsafe, reserved or repeated"
        if not isinstance(sha, str) or not _SHA256_RE.fullmatch(sha):
            return f"files[{n}].sha256 is not a SHA-256 hex digest"
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return f"files[{n}].size is not a size"
        seen.add(path)
    return None


def verify_bundle(
    source: bytes | str | Path | BinaryIO, jwks: Mapping[str, Any] | None
) -> BundleVerification:
    """Check a bundle's signature and every file against its manifest.

    ``jwks`` is the issuer's published key set. With ``None`` the bundle's own ``jwks.json`` is
    used and ``used_embedded_jwks`` is set: that proves integrity since signing, not who signed.
    Raises ``BundleError`` for input that is not a readable ZIP or is unsafe to process.
    """
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleError(f"not a readable ZIP file: {exc}") from exc
    with archive:
        return _verify_archive(archive, jwks)


def _verify_archive(archive: zipfile.ZipFile, jwks: Mapping[str, Any] | None) -> BundleVerification:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise BundleError(f"more than {MAX_ENTRIES} entries")
    problems: list[str] = []
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if name.endswith("/") and info.file_size == 0:
            continue  # a directory entry, added by tools that re-zip; it holds nothing
        problem = check_path(name)
        if problem:
            problems.append(f"unsafe: {name!r} in the ZIP ({problem})")
        elif name in entries:
            problems.append(f"duplicate: {name} appears more than once in the ZIP")
        else:
            entries[name] = info

    def meta(name: str) -> bytes | None:
        info = entries.get(name)
        if info is None:
            return None
        try:
            return _read_limited(archive, info, MAX_META_BYTES)[2]
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as exc:
            problems.append(f"unreadable: {name} ({exc})")
            return None

    result = BundleVerification(ok=False)
    if jwks is None:
        result.used_embedded_jwks = True
        raw_jwks = meta(JWKS_NAME)
        try:
            jwks = validate_jwks(safejson.loads(raw_jwks)) if raw_jwks is not None else None
        except ValueError:
            jwks = None
        if jwks is None:
            problems.append(f"{JWKS_NAME}: missing or not a JWKS, and no key set was given")

    data = meta(MANIFEST_NAME)
    manifest: Any = None
    if data is None:
        problems.append(f"missing: {MANIFEST_NAME}")
    else:
        try:
            manifest = safejson.loads(data)
        except (ValueError, UnicodeDecodeError):
            manifest = None
        why = _manifest_problem(manifest)
        if why:
            problems.append(f"{MANIFEST_NAME}: {why}")
            manifest = None

    signature = meta(SIGNATURE_NAME)
    if signature is None:
        problems.append(f"missing: {SIGNATURE_NAME}")
    elif data is not None and jwks is not None:
        try:
            verified = verify_compact(signature.decode("ascii", "replace"), jwks, detached_payload=data)
            if verified.header.get("typ") != SIG_TYP:
                raise JwsError("malformed", "not a manifest signature")
            result.kid = verified.kid
        except JwsError as exc:
            if exc.code == "bad_signature":
                problems.append(
                    f"{SIGNATURE_NAME}: the signature does not match {MANIFEST_NAME} (one of them was altered)"
                )
            elif exc.code == "unknown_key":
                problems.append(f"{SIGNATURE_NAME}: {exc} (signed by another key)")
            else:
                problems.append(f"{SIGNATURE_NAME}: {exc}")

    if manifest is not None:
        result.manifest = manifest
        listed = {entry["path"]: entry for entry in manifest["files"]}
        total = 0
        for path, entry in listed.items():
            if path not in entries:
                problems.append(f"missing: {path} (listed in the manifest, not in the ZIP)")
                continue
            try:
                digest, size, _ = _read_limited(archive, entries[path], MAX_FILE_BYTES)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                problems.append(f"unreadable: {path} ({exc})")
                continue
            total += size
            if total > MAX_TOTAL_BYTES:
                raise BundleError(f"the bundle holds more than {MAX_TOTAL_BYTES} bytes")
            if digest != entry["sha256"] or size != entry["size"]:
                problems.append(f"altered: {path} (its SHA-256 differs from the manifest)")
            result.files_checked += 1
        for path in sorted(set(entries) - set(listed) - RESERVED):
            problems.append(f"extra: {path} (in the ZIP but not in the manifest)")

    result.problems = problems
    result.ok = not problems
    return result
