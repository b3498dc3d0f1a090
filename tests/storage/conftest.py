"""Fixtures of the storage tests: files in a fresh folder, and a tiny real file system that fills up."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _private_media(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if not request.config.pluginmanager.hasplugin("django"):
        return
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"


@pytest.fixture
def full_disk(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """MEDIA_ROOT on a real 256 KB tmpfs filled up to its last 16 KB, so a write starts and then
    fails with ENOSPC half-way (a real full disk, not a mock). Needs root and mount; skipped otherwise
    (the fault-injecting storage tests in test_artefacts.py still run)."""
    mountpoint = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mountpoint.mkdir()
    mounted = (
        shutil.which("mount") is not None
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mountpoint)],
            capture_output=True,
        ).returncode
        == 0
    )
    if not mounted:
        pytest.skip("cannot mount a tmpfs here (needs root): the disk-full test uses a real file system")
    try:
        stat = os.statvfs(mountpoint)
        free = stat.f_bavail * stat.f_frsize
        (mountpoint / "filler").write_bytes(b"\0" * (free - 16 * 1024))
        settings.MEDIA_ROOT = mountpoint / "media"
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def files_under(root: Path) -> list[str]:
    """Every file under ``root`` (hidden temporary files included), as relative paths."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
