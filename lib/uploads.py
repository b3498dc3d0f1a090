"""Evidence uploads: decide what a file *is* from its content, never from its name.

Accepted: PDF, PNG, JPEG, CSV, plain text, Markdown, JSON, DOCX and XLSX, up to 25 MB. Refused
with a message a person can act on: empty files, oversized files, names that try to climb out of a
folder, executables and scripts whatever they are called, and content that does not match the
name's extension (a PNG called ``report.pdf``). DOCX and XLSX are ZIP archives; their
``[Content_Types].xml`` must declare the matching main document, and macro projects are refused.

Pure Python (no Django); ``puremagic`` names unexpected content in the refusal message.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import puremagic

from lib import safejson
from lib.errors import DomainError, ErrorItem

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_NAME_LENGTH = 200
_HEAD_BYTES = 8192
_MAX_CONTENT_TYPES_XML = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]
    text: bool = False


FILE_TYPES: dict[str, FileType] = {
    t.code: t
    for t in (
        FileType("pdf", "PDF document", "application/pdf", (".pdf",)),
        FileType("png", "PNG image", "image/png", (".png",)),
        FileType("jpeg", "JPEG image", "image/jpeg", (".jpg", ".jpeg")),
        FileType("csv", "CSV table", "text/csv", (".csv",), text=True),
        FileType("txt", "plain text", "text/plain", (".txt", ".log"), text=True),
        FileType("markdown", "Markdown text", "text/markdown", (".md", ".markdown"), text=True),
        FileType("json", "JSON data", "application/json", (".json",), text=True),
        FileType(
            "docx",
            "Word document (DOCX)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        FileType(
            "xlsx",
            "Excel workbook (XLSX)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
    )
}
_BY_EXTENSION = {ext: t for t in FILE_TYPES.values() for ext in t.extensions}
ACCEPTED_EXTENSIONS = tuple(sorted(_BY_EXTENSION))
ACCEPTED_LABEL = "PDF, PNG, JPEG, CSV, TXT, Markdown, JSON, DOCX or XLSX"

# Main-part content types an Office Open XML package must declare in [Content_Types].xml.
_OOXML_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}

# Executable and script signatures, checked before anything else: renaming never makes them safe.
_EXECUTABLE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows executable (MZ header)"),
    (b"\x7fELF", "a Linux executable (ELF)"),
    (b"\xfe\xed\xfa\xce", "a macOS executable (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "a macOS executable (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "a macOS executable (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a macOS universal binary or Java class"),
    (b"#!", "a script (#! line)"),
    (b"\x00asm", "a WebAssembly module"),
)
_MARKUP_START = re.compile(rb"^\s*<(\?xml|!doctype\s+html|html|svg|script)\b", re.IGNORECASE)


@dataclass(frozen=True)
class UploadInfo:
    """What an accepted upload is: the type decided from its content, and a display name."""

    file_type: FileType
    display_name: str
    size: int

    @property
    def content_type(self) -> str:
        return self.file_type.content_type


def human_size(n: int) -> str:
    """``25 MB``, ``1.5 MB``, ``980 KB``: sizes as people read them."""
    if n >= 1024 * 1024:
        mb = n / (1024 * 1024)
        return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _refuse(message: str, code: str = "upload_refused", status: int = 400) -> DomainError:
    return DomainError(message, [ErrorItem("file", message)], status=status, code=code)


def check_file_name(name: str) -> str:
    """The name to show and offer on download; refuses names that carry a path or control characters.

    Storage never uses this name (files are stored under a random one); refusing here tells the
    person early and keeps odd names out of ``Content-Disposition`` headers.
    """
    raw = name or ""
    if not raw.strip():
        raise _refuse("The file has no name.")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in raw):
        raise _refuse("The file name contains control characters; rename the file and try again.")
    if "/" in raw or "\\" in raw or ".." in raw or re.match(r"^[A-Za-z]:", raw) or raw.startswith("~"):
        raise _refuse(
            "The file name looks like a path (it contains “/”, “\\”, “..” or a drive letter); upload the file under a plain name."
        )
    if raw.startswith("."):
        raise _refuse("Hidden files (names starting with “.”) are not accepted; rename the file.")
    cleaned = raw.strip()
    if len(cleaned) > MAX_NAME_LENGTH:
        raise _refuse(f"The file name is longer than {MAX_NAME_LENGTH} characters; shorten it.")
    return cleaned


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _describe(head: bytes) -> str:
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return "unrecognised binary data" if b"\x00" in head else "text"
    best = matches[0]
    return best.name or best.extension or "unrecognised data"


def _read_all(stream: BinaryIO) -> bytes:
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    return data


def _check_ooxml(stream: BinaryIO, expected: FileType) -> None:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as zf:
            names = set(zf.namelist())
            if "[Content_Types].xml" not in names:
                raise _refuse(
                    f"The file is a ZIP archive but not a {expected.label}: it has no [Content_Types].xml."
                )
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size > _MAX_CONTENT_TYPES_XML:
                raise _refuse(
                    f"The file is not a valid {expected.label}: its [Content_Types].xml is implausibly large."
                )
            content_types = zf.read("[Content_Types].xml").decode("utf-8", errors="replace")
            if any(n.lower().endswith("vbaproject.bin") for n in names) or "macroEnabled" in content_types:
                raise _refuse(
                    "Documents with macros are not accepted; save it as a plain .docx or .xlsx without macros."
                )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        ValueError,
    ):
        raise _refuse(
            f"The file is named like a {expected.label} but is not a readable ZIP package."
        ) from None
    finally:
        stream.seek(0)
    if _OOXML_MAIN[expected.code] not in content_types:
        other = next((code for code, ct in _OOXML_MAIN.items() if ct in content_types), None)
        found = FILE_TYPES[other].label if other else "another kind of Office package"
        raise _refuse(f"The file is named like a {expected.label} but its content is {found}.")


def _check_text(data: bytes, expected: FileType) -> None:
    if b"\x00" in data:
        raise _refuse(f"The file is named like {expected.label} but contains binary data.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(
            f"The file is named like {expected.label} but is not UTF-8 text; save it as UTF-8 and try again."
        ) from None
    if expected.code != "json" and _MARKUP_START.match(data[:512]):
        raise _refuse(
            "The file looks like HTML, SVG or XML markup, which is not accepted as evidence; export it as PDF instead."
        )
    if expected.code == "json":
        try:
            safejson.loads(text)
        except safejson.JSONTooDeep as exc:
            raise _refuse(f"The file is named .json but is not accepted: {exc}.") from None
        except json.JSONDecodeError as exc:
            raise _refuse(
                f"The file is named .json but is not valid JSON ({exc.msg} at line {exc.lineno})."
            ) from None


def inspect_upload(
    name: str, stream: BinaryIO, size: int | None = None, *, max_bytes: int = MAX_UPLOAD_BYTES
) -> UploadInfo:
    """Check an upload and return what it is, or raise DomainError with a clear message.

    ``stream`` must be seekable; it is left at position 0.
    """
    display = check_file_name(name)
    if size is None:
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
    stream.seek(0)
    if size <= 0:
        raise _refuse("The file is empty (0 bytes).")
    if size > max_bytes:
        raise _refuse(
            f"The file is {human_size(size)}; the limit is {human_size(max_bytes)} per file.",
            code="too_large",
            status=413,
        )
    head = stream.read(_HEAD_BYTES)
    stream.seek(0)
    for magic, what in _EXECUTABLE_MAGIC:
        if head.startswith(magic):
            raise _refuse(
                f"The file is {what}, whatever its name says; executables and scripts are never accepted as evidence."
            )
    ext = _extension(display)
    expected = _BY_EXTENSION.get(ext)
    if expected is None:
        shown = ext or "no extension"
        raise _refuse(f"Files of type “{shown}” are not accepted; upload {ACCEPTED_LABEL}.")
    if expected.code == "pdf":
        if b"%PDF-" not in head[:1024]:
            raise _refuse(f"The file is named .pdf but its content is {_describe(head)}, not a PDF.")
    elif expected.code == "png":
        if not head.startswith(b"\x89PNG\r\n\x1a\n"):
            raise _refuse(f"The file is named .png but its content is {_describe(head)}, not a PNG image.")
    elif expected.code == "jpeg":
        if not head.startswith(b"\xff\xd8\xff"):
            raise _refuse(f"The file is named {ext} but its content is {_describe(head)}, not a JPEG image.")
    elif expected.code in _OOXML_MAIN:
        if not head.startswith(b"PK\x03\x04"):
            raise _refuse(
                f"The file is named {ext} but its content is {_describe(head)}, not a {expected.label}."
            )
        _check_ooxml(stream, expected)
    else:
        _check_text(_read_all(stream), expected)
    return UploadInfo(expected, display, size)
