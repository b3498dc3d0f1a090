"""Front-end vendor files and ``collectstatic`` with the production (manifest) storage."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.deploy.helpers import ROOT, manage, production_env

SERVED = {"htmx.min.js", "drawflow.min.js", "drawflow.min.css", "dagre.min.js", "pico.min.css"}
MAP_REFERENCE = re.compile(r"sourceMappingURL=([^\s*\"]+)")

needs_node_modules = pytest.mark.skipif(
    not (ROOT / "node_modules" / "htmx.org").is_dir(), reason="node_modules not installed (npm ci)"
)


@needs_node_modules
def test_vendor_script_copies_every_served_file_and_the_maps_they_name(tmp_path):
    target = tmp_path / "vendor"
    result = subprocess.run(
        [str(ROOT / "scripts" / "vendor.sh"), str(target)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    names = {p.name for p in target.iterdir()}
    assert names >= SERVED
    assert not [n for n in names if ".tmp." in n]  # no half-written leftovers
    for name in names:
        for ref in MAP_REFERENCE.findall((target / name).read_text("utf-8", errors="replace")):
            assert (target / ref).is_file(), f"{name} names {ref}, which was not copied"
    assert "dagre.min.js.map" in names  # dagre's minified build names its map


def test_vendor_script_fails_clearly_without_node_modules(tmp_path):
    # A copy of the script in a tree that has no node_modules.
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "vendor.sh", tmp_path / "scripts" / "vendor.sh")
    result = subprocess.run(
        [str(tmp_path / "scripts" / "vendor.sh"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "npm ci" in result.stderr


@needs_node_modules
def test_collectstatic_succeeds_with_production_settings(tmp_path):
    # The served folder, as `make vendor` and the image's node stage leave it.
    vendored = subprocess.run(
        [str(ROOT / "scripts" / "vendor.sh")], capture_output=True, text=True, timeout=60
    )
    assert vendored.returncode == 0, vendored.stderr
    static_root = tmp_path / "staticfiles"
    env = production_env(tmp_path / "var", STATIC_ROOT=str(static_root))
    result = manage(env, "collectstatic", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    paths = manifest["paths"]
    for name in SERVED:
        hashed = paths[f"vendor/{name}"]
        assert (static_root / hashed).is_file()
    # The hashed dagre build points at the hashed map that was collected with it.
    dagre = (static_root / paths["vendor/dagre.min.js"]).read_text()
    (ref,) = MAP_REFERENCE.findall(dagre)
    assert (static_root / "vendor" / ref).is_file()
