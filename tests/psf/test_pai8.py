"""PAI-8 as data: the loader, the posture rule, public pages, JSON and the OSCAL catalog."""

from __future__ import annotations

import copy
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from lib.errors import DomainError
from psf.maturity import PAI8_PATH, bundled_pai8, parse_maturity
from psf.models import RubricVersion
from psf.oscal_pai8 import maturity_to_oscal
from psf.rubric import CURRENT_RUBRIC_PATH
from tests.standards import schema_errors


def _data() -> dict[str, Any]:
    return yaml.safe_load(PAI8_PATH.read_text(encoding="utf-8"))


def _errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DomainError) as info:
        parse_maturity(data)
    assert info.value.status == 2
    return list(info.value.lines())


def test_the_bundled_file_has_eight_controls_of_four_checkpoints() -> None:
    fw = bundled_pai8()
    assert [c.code for c in fw.controls] == [f"C{i}" for i in range(1, 9)]
    assert [c.name for c in fw.controls][:3] == ["AI Governance", "Risk Assessment", "Data Stewardship"]
    assert len(fw.all_checkpoints()) == 32
    assert [lv.name for lv in fw.levels] == ["Absent", "Basic", "Managed", "Optimised"]


def test_only_the_public_checkpoints_are_unmarked() -> None:
    fw = bundled_pai8()
    public = {p.code for p in fw.all_checkpoints() if not p.authored}
    assert public == {"C1.1", "C1.2", "C1.3", "C1.4", "C2.1", "C2.2", "C2.3", "C2.4", "C3.1", "C3.2"}
    assert fw.checkpoint("C1.3").text == "AI use-case registry maintained."
    assert fw.posture_rule.authored and fw.crosswalk.authored


def test_a_missing_checkpoint_is_named_by_its_path() -> None:
    data = _data()
    del data["controls"][3]["checkpoints"][2]
    lines = _errors(data)
    assert any(
        line.startswith("controls[3].checkpoints") and "expected 4 checkpoints" in line for line in lines
    )


@pytest.mark.parametrize("bad", [4, -1, "L2"])
def test_a_level_outside_l0_l3_is_refused(bad: Any) -> None:
    data = _data()
    data["controls"][0]["levels"][3]["level"] = bad
    lines = _errors(data)
    assert any(line.startswith("controls[0].levels[3].level") for line in lines), lines


def test_a_missing_control_is_refused() -> None:
    data = _data()
    data["controls"].pop()
    lines = _errors(data)
    assert any(line.startswith("controls") and "C1, C2, C3, C4, C5, C6, C7, C8" in line for line in lines), (
        lines
    )


def test_unknown_fields_are_refused_with_their_path() -> None:
    data = _data()
    data["controls"][0]["surprise"] = True
    assert any(line.startswith("controls[0].surprise") for line in _errors(data))


def test_checkpoints_must_belong_to_their_control() -> None:
    data = _data()
    data["controls"][1]["checkpoints"][0]["code"] = "C7.1"
    assert any("C2.1, C2.2, C2.3, C2.4" in line for line in _errors(data))


# -- the posture rule (data: minimum of checkpoints, then minimum of controls) ------------------

ALL = [p.code for p in bundled_pai8().all_checkpoints()]


def _levels(default: int | None, **overrides: int | None) -> dict[str, int | None]:
    levels: dict[str, int | None] = dict.fromkeys(ALL, default)
    levels.update({k.replace("_", "."): v for k, v in overrides.items()})
    return levels


@pytest.mark.parametrize(
    ("levels", "c1", "posture", "mean", "complete"),
    [
        (_levels(3), 3, 3, 3.0, True),
        (_levels(0), 0, 0, 0.0, True),
        (_levels(2, C1_3=1), 1, 1, 1.88, True),  # one weak checkpoint caps its control and the posture
        (_levels(3, C8_4=0), 3, 0, 2.62, True),
        (_levels(2, C1_1=None), None, None, 2.0, False),  # unanswered: no control level, no posture
        (_levels(None), None, None, None, False),
    ],
)
def test_posture_rule(
    levels: dict[str, int | None], c1: int | None, posture: int | None, mean: float | None, complete: bool
) -> None:
    result = bundled_pai8().posture(levels)
    assert result.controls["C1"] == c1
    assert result.level == posture
    assert result.mean == mean
    assert result.complete is complete


def test_posture_rule_is_data_floor_of_mean() -> None:
    data = _data()
    data["posture_rule"]["posture"] = "floor_of_mean_of_controls"
    fw = parse_maturity(data)
    assert fw.posture(_levels(3, C8_4=0)).level == 2  # mean 2.62 → L2, where the minimum gives L0


def test_posture_refuses_a_level_outside_the_scale() -> None:
    with pytest.raises(ValueError, match="outside"):
        bundled_pai8().posture(_levels(2, C1_1=7))


# -- loading (one command for both frameworks) ---------------------------------------------------


def _load(*paths: Path | str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("load_rubric", *[str(p) for p in paths], stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_load_rubric_loads_both_frameworks_idempotently() -> None:
    code, out, _ = _load()
    assert code == 0
    assert "PSF v1.1" in out and "PAI-8 v2026" in out
    rv = RubricVersion.objects.get(framework="PAI-8", version="2026")
    assert rv.is_current and rv.content_hash == bundled_pai8().content_hash()
    code, out, _ = _load(PAI8_PATH)
    assert code == 0 and "unchanged" in out


@pytest.mark.django_db
def test_a_bad_file_exits_2_and_nothing_is_half_loaded(tmp_path: Path) -> None:
    data = _data()
    data["version"] = "2027-draft"
    good = tmp_path / "pai8-2027.yaml"
    good.write_text(yaml.safe_dump(data), encoding="utf-8")
    broken = copy.deepcopy(data)
    broken["version"] = "2028-draft"
    broken["controls"][5]["levels"][1]["level"] = 9
    bad = tmp_path / "pai8-2028.yaml"
    bad.write_text(yaml.safe_dump(broken), encoding="utf-8")
    code, _, err = _load(good, bad)
    assert code == 2
    assert "controls[5].levels[1].level" in err
    assert not RubricVersion.objects.filter(
        framework="PAI-8", version__in=["2027-draft", "2028-draft"]
    ).exists()


@pytest.mark.django_db
def test_a_psf_file_still_loads_through_the_same_command() -> None:
    code, out, _ = _load(CURRENT_RUBRIC_PATH)
    assert code == 0 and "PSF v1.1" in out


# -- public pages, JSON, OSCAL ------------------------------------------------------------------


@pytest.mark.django_db
def test_public_pages(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/pai8/")
    assert page.status_code == 200
    body = page.content.decode()
    for code in ("C1", "C5", "C8"):
        assert f'data-testid="control-{code}"' in body
    assert "Optimised" in body and "authored for WorkflowOS" in body
    control = client.get("/pai8/c1/")
    assert control.status_code == 200
    text = control.content.decode()
    assert text.count('data-testid="checkpoint"') == 4
    assert "AI use-case registry maintained." in text
    assert client.get("/pai8/C9/").status_code == 404
    assert client.get("/pai8/?version=nope").status_code == 404
    assert 'href="/pai8/"' in client.get("/roll-out/").content.decode()


@pytest.mark.django_db
def test_json_api(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/pai8/")
    assert resp.status_code == 200
    data = resp.json()
    assert data["framework"] == "PAI-8" and data["checkpoints_count"] == 32
    assert data["controls"][2]["checkpoints"][3]["authored"] is True
    assert data["posture_rule"]["posture"] == "minimum_of_controls"
    assert client.get("/api/pai8/?version=1999").status_code == 404


@pytest.mark.django_db
def test_oscal_catalog_validates_against_the_official_schema(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/api/pai8/oscal/")
    assert resp.status_code == 200
    doc = resp.json()
    assert schema_errors("oscal/oscal_catalog_schema-1.1.2.json", doc) == []
    controls = doc["catalog"]["controls"]
    assert [c["id"] for c in controls] == [f"pai8-c{i}" for i in range(1, 9)]
    assert len(controls[0]["controls"]) == 4
    # and the check can fail: a catalog without metadata is refused by the same schema
    broken = copy.deepcopy(doc)
    del broken["catalog"]["metadata"]
    assert schema_errors("oscal/oscal_catalog_schema-1.1.2.json", broken)


def test_oscal_export_is_deterministic() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 12, 1, tzinfo=UTC)
    assert maturity_to_oscal(bundled_pai8(), generated=when) == maturity_to_oscal(
        bundled_pai8(), generated=when
    )


def test_the_psf_catalog_also_validates_against_the_official_schema() -> None:
    from psf.oscal import rubric_to_oscal
    from psf.rubric import current_rubric

    assert schema_errors("oscal/oscal_catalog_schema-1.1.2.json", rubric_to_oscal(current_rubric())) == []
