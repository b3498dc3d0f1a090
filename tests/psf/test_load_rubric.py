from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from psf.models import RubricVersion
from psf.rubric import CURRENT_RUBRIC_PATH

pytestmark = pytest.mark.django_db


def _load(path: Path) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("load_rubric", str(path), stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_loading_the_same_file_twice_changes_nothing(rubric_version):
    before = RubricVersion.objects.get(framework="PSF", version="1.1")
    code, out, _ = _load(CURRENT_RUBRIC_PATH)
    assert code == 0 and "unchanged" in out
    after = RubricVersion.objects.get(framework="PSF", version="1.1")
    assert (after.pk, after.content_hash, after.loaded_at) == (
        before.pk,
        before.content_hash,
        before.loaded_at,
    )


def test_invalid_file_is_refused_with_paths_and_nothing_loaded(tmp_path, rubric_version):
    data = yaml.safe_load(CURRENT_RUBRIC_PATH.read_text())
    data["version"] = "9.9-broken"
    data["domains"][2]["criteria"][4]["levels"] = data["domains"][2]["criteria"][4]["levels"][:4]
    del data["domains"][0]["criteria"][0]["title"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    code, _, err = _load(bad)
    assert code == 2
    assert "domains[2].criteria[4].levels" in err or "domains[2].criteria[4]" in err
    assert "expected 6 levels (0-5), got 4" in err
    assert "domains[0].criteria[0].title" in err
    assert not RubricVersion.objects.filter(version="9.9-broken").exists()


def test_unreadable_and_non_yaml_files_exit_2(tmp_path, rubric_version):
    code, _, err = _load(tmp_path / "missing.yaml")
    assert code == 2 and "cannot read" in err
    junk = tmp_path / "junk.yaml"
    junk.write_text("domains: [unclosed")
    code, _, err = _load(junk)
    assert code == 2 and "not valid" in err


def test_a_new_version_lives_beside_the_old_one(tmp_path, rubric_version):
    data = yaml.safe_load(CURRENT_RUBRIC_PATH.read_text())
    data["version"] = "1.2-draft"
    f = tmp_path / "next.yaml"
    f.write_text(yaml.safe_dump(data))
    code, out, _ = _load(f)
    assert code == 0 and "created" in out
    assert RubricVersion.objects.filter(framework="PSF").count() == 2
    assert RubricVersion.objects.get(version="1.2-draft").is_current
    assert not RubricVersion.objects.get(version="1.1").is_current
