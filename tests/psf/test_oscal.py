"""The OSCAL 1.1.2 catalog export of the PSF rubric."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lib.canonical import canonical_json
from psf.oscal import NS, rubric_to_oscal
from psf.rubric import current_rubric, parse_rubric

GENERATED = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
TOKEN = re.compile(r"^[_a-zA-Z][\w\-.]*$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def catalog():
    return rubric_to_oscal(current_rubric(), generated=GENERATED)["catalog"]


def walk(node, key):
    """Every value stored under ``key`` anywhere in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from walk(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item, key)


def props_of(node) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in node.get("props", []):
        out.setdefault(p["name"], []).append(p["value"])
    return out


def test_metadata(catalog):
    meta = catalog["metadata"]
    assert meta["title"] == "Production Safety Framework (PSF) v1.1"
    assert meta["version"] == "1.1"
    assert meta["oscal-version"] == "1.1.2"
    assert meta["published"] == "2026-04-01T00:00:00Z"
    assert meta["last-modified"] == "2026-05-01T12:30:00Z"
    assert DATETIME.match(meta["published"]) and DATETIME.match(meta["last-modified"])
    assert meta["links"] == [
        {"href": "https://creativecommons.org/licenses/by/4.0/", "rel": "license", "text": "CC BY 4.0"}
    ]
    assert "not the official" in meta["remarks"]
    assert meta["parties"][0]["name"] == "Production AI Institute"
    assert meta["responsible-parties"][0]["party-uuids"] == [meta["parties"][0]["uuid"]]


def test_one_group_per_domain_with_principle_and_threshold(catalog):
    groups = catalog["groups"]
    assert [g["id"] for g in groups] == [f"psf-{n}" for n in range(1, 9)]
    rubric = current_rubric()
    for g, d in zip(groups, rubric.domains, strict=True):
        assert g["title"] == d.name
        overview = [p for p in g["parts"] if p["name"] == "overview"]
        assert [p["prose"] for p in overview] == [d.principle]
        assert props_of(g)["label"] == [d.code]
    thresholds = {g["id"]: props_of(g)["pass-threshold"] for g in groups}
    assert thresholds == {**{f"psf-{n}": ["3.0"] for n in range(1, 7)}, "psf-7": ["2.0"], "psf-8": ["2.0"]}
    assert "cpap" not in props_of(groups[7])["scope"]
    assert "cpap" in props_of(groups[6])["scope"]


def test_forty_controls_with_required_parts(catalog):
    controls = [c for g in catalog["groups"] for c in g["controls"]]
    assert len(controls) == 40
    assert controls[0]["id"] == "psf-1.1" and controls[-1]["id"] == "psf-8.5"
    rubric = current_rubric()
    for control, criterion in zip(controls, rubric.all_criteria(), strict=True):
        assert control["class"] == "criterion"
        assert control["title"] == criterion.title
        parts = {p["name"]: p for p in control["parts"]}
        assert set(parts) == {"statement", "guidance", "assessment-objective"}
        assert parts["statement"]["prose"] == criterion.requirement
        assert parts["guidance"]["prose"] == criterion.guidance
        levels = parts["assessment-objective"]["parts"]
        assert [lv["prose"] for lv in levels] == [lv.descriptor for lv in criterion.levels]
        assert [props_of(lv)["score"] for lv in levels] == [[str(n)] for n in range(6)]


def test_control_props_carry_evidence_observability_and_mappings(catalog):
    control = catalog["groups"][0]["controls"][0]  # PSF-1.1
    props = props_of(control)
    rubric = current_rubric()
    c = rubric.criterion("PSF-1.1")
    assert props["label"] == ["PSF-1.1"]
    assert props["evidence-type"] == list(c.evidence)
    assert props["map-observable"] == ["true"]
    assert "LLM01" in props["owasp-llm-2025"]
    assert "AML.M0015" in props["mitre-atlas"]
    assert props["eu-ai-act"] == list(c.mappings.eu_ai_act)
    assert all(p.get("ns") == NS for p in control["props"] if p["name"] not in {"label", "sort-id"})
    dpa = catalog["groups"][2]["controls"][3]  # PSF-3.4
    assert props_of(dpa)["map-observable"] == ["false"]


def test_all_props_are_name_value_strings(catalog):
    props = [p for plist in walk(catalog, "props") for p in plist]
    assert len(props) > 500
    for p in props:
        assert isinstance(p["name"], str) and TOKEN.match(p["name"]), p
        assert isinstance(p["value"], str) and p["value"] and p["value"] == p["value"].strip(), p
        assert set(p) <= {"name", "value", "ns", "class", "uuid", "group", "remarks"}


def test_ids_are_oscal_tokens_and_unique(catalog):
    ids = list(walk(catalog, "id"))
    assert len(ids) == len(set(ids))
    for ident in ids:
        assert TOKEN.match(ident), ident
    for name in walk(catalog, "name"):
        # "name" is also the party's display name; the rest must be tokens.
        if name != "Production AI Institute":
            assert TOKEN.match(name), name


def test_uuids_are_deterministic_uuid5(catalog):
    uuids = [catalog["uuid"], *walk(catalog["metadata"], "uuid"), *walk(catalog["back-matter"], "uuid")]
    assert all(UUID.match(u) for u in uuids)
    assert len(set(uuids)) == len(uuids)
    again = rubric_to_oscal(current_rubric(), generated=GENERATED + timedelta(days=3))["catalog"]
    assert again["uuid"] == catalog["uuid"]


def test_same_rubric_and_time_give_identical_output():
    a = rubric_to_oscal(current_rubric(), generated=GENERATED)
    b = rubric_to_oscal(parse_rubric(current_rubric().to_data()), generated=GENERATED)
    assert canonical_json(a) == canonical_json(b)
    json.dumps(a, allow_nan=False)  # plain JSON, nothing exotic


def test_a_different_rubric_gets_a_different_catalog_uuid():
    data = current_rubric().to_data()
    data["domains"][0]["summary"] += " Edited."
    edited = rubric_to_oscal(parse_rubric(data), generated=GENERATED)["catalog"]
    assert edited["uuid"] != rubric_to_oscal(current_rubric(), generated=GENERATED)["catalog"]["uuid"]


def test_generated_time_is_normalised_to_utc_and_must_be_aware():
    paris = datetime(2026, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    meta = rubric_to_oscal(current_rubric(), generated=paris)["catalog"]["metadata"]
    assert meta["last-modified"] == "2026-05-01T12:30:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        rubric_to_oscal(current_rubric(), generated=datetime(2026, 5, 1, 12, 30))
    default = rubric_to_oscal(current_rubric())["catalog"]["metadata"]["last-modified"]
    assert DATETIME.match(default)
