from __future__ import annotations

import io

import pytest

from lib.errors import DomainError
from lib.uploads import MAX_UPLOAD_BYTES, inspect_upload
from tests.assessments.files import DOCX, EXE, JPEG, PDF, PNG, XLSX, ooxml


def check(name: str, data: bytes, size: int | None = None):
    return inspect_upload(name, io.BytesIO(data), size)


@pytest.mark.parametrize(
    "name,data,content_type",
    [
        ("runbook.pdf", PDF, "application/pdf"),
        ("dashboard.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("incidents.csv", b"date,severity\n2026-01-02,high\n", "text/csv"),
        ("notes.txt", "Überwachung läuft\n".encode(), "text/plain"),
        ("README.md", b"# Runbook\n\n<b>ok</b>\n", "text/markdown"),
        ("config.json", b'{"a": [1, 2]}', "application/json"),
        ("policy.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("scores.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_accepted_types_are_typed_by_content(name, data, content_type):
    info = check(name, data)
    assert info.content_type == content_type
    assert info.size == len(data)


def refused(name: str, data: bytes, size: int | None = None) -> str:
    with pytest.raises(DomainError) as exc:
        check(name, data, size)
    assert exc.value.errors and exc.value.errors[0].path == "file"
    return exc.value.message


def test_executable_renamed_pdf_is_refused():
    assert "Windows executable" in refused("invoice.pdf", EXE)
    assert "Linux executable" in refused("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 50)
    assert "script" in refused("notes.txt", b"#!/bin/sh\nrm -rf /\n")


def test_zero_byte_file_is_refused():
    assert "empty" in refused("empty.pdf", b"")


def test_oversized_file_is_refused_before_reading():
    with pytest.raises(DomainError) as exc:
        check("big.pdf", PDF, MAX_UPLOAD_BYTES + 1)
    assert exc.value.status == 413 and "25 MB" in exc.value.message


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\boot.pdf",
        "/etc/passwd.pdf",
        "C:evil.pdf",
        "a\x00b.pdf",
        "..pdf",
        ".hidden.pdf",
    ],
)
def test_path_like_names_are_refused(name):
    message = refused(name, PDF)
    assert any(word in message for word in ("path", "control characters", "Hidden"))


def test_content_must_match_extension():
    assert "not a PDF" in refused("scan.pdf", PNG)
    assert "not a PNG" in refused("chart.png", JPEG)
    assert "its content is Excel workbook" in refused("sheet.docx", XLSX)
    assert "not valid JSON" in refused("data.json", b"{nope")
    assert "binary data" in refused("data.csv", b"\xff\xfe\x00a")
    assert "not UTF-8" in refused("data.csv", b"caf\xe9,1\n")


def test_unknown_extension_and_markup_are_refused():
    assert "not accepted" in refused("tool.exe.zip", b"PK\x03\x04rest")
    assert "not accepted" in refused("page.html", b"<html></html>")
    assert "markup" in refused("page.txt", b"<!DOCTYPE html><script>alert(1)</script>")
    assert "markup" in refused("logo.md", b"  <svg onload=alert(1)>")


def test_office_packages_are_checked_inside():
    assert "[Content_Types].xml" in refused("x.docx", _zip_without_types())
    macro = ooxml(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        {"word/vbaProject.bin": b"x"},
    )
    assert "macros" in refused("m.docx", macro)
    assert "not a readable ZIP" in refused("broken.xlsx", b"PK\x03\x04" + b"\x00" * 30)


def _zip_without_types() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    return buf.getvalue()
