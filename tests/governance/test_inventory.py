"""The AI use-case inventory: pages, map-filled fields, filters, CSV/JSON export and import with a
per-row report, the API, and who may do what."""

from __future__ import annotations

import csv
import io
import json

import pytest

from core.models import AuditEvent
from governance.models import AISystem
from studio.services import workflow_from_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def rag(personas):  # type: ignore[no-untyped-def]
    return workflow_from_template(organisation=personas.acme, author=personas.alice, slug="rag-assistant")


def _create(client, **overrides):  # type: ignore[no-untyped-def]
    return client.post("/inventory/new/", _form(**overrides))


def _form(**overrides):  # type: ignore[no-untyped-def]
    data = {
        "name": "Help-centre assistant",
        "purpose": "Answers product questions",
        "business_owner": "Head of Support",
        "technical_owner": "Platform team",
        "status": "production",
        "risk_tier": "medium",
        "eu_role": "deployer",
        "eu_risk_class": "limited",
        "annex_iii_area": "",
        "vendors": "",
        "models_used": "",
        "data_categories": "",
        "users_affected": "customers",
        "autonomy_level": "",
    }
    data.update(overrides)
    return data


def test_a_practitioner_adds_a_system_and_its_map_fills_vendors_models_data_and_autonomy(
    personas, client_for, rag
):
    c = client_for(personas.pat)
    resp = _create(c, workflows=[rag.pk], vendors="In-house; ")
    assert resp.status_code == 302
    s = AISystem.objects.get(name="Help-centre assistant")
    assert s.organisation == personas.acme
    assert s.vendors[0] == "In-house" and len(s.vendors) > 1  # the map's LLM vendors were added
    assert s.models_used and s.data_categories
    assert "personal" in s.data_categories
    assert s.autonomy_level in {"L0", "L1", "L2", "L3", "L4"}
    ev = AuditEvent.objects.filter(action="inventory.created").latest("sequence")
    assert ev.actor_email == personas.pat.email and "vendors" in ev.data["filled_from_maps"]
    page = c.get(f"/inventory/{s.pk}/")
    assert page.status_code == 200 and rag.name.encode() in page.content


def test_bad_input_gets_form_errors_and_nothing_is_saved(personas, client_for):
    c = client_for(personas.alice)
    resp = _create(c, name="", status="someday", annex_iii_area="employment")
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "This field is required" in body and "someday" in body
    assert "Only high-risk systems" in body
    assert not AISystem.objects.exists()
    assert _create(c).status_code == 302
    dup = _create(c)
    assert dup.status_code == 400 and "already" in dup.content.decode()


def test_names_with_markup_are_escaped(personas, client_for):
    c = client_for(personas.alice)
    _create(c, name="<script>alert(1)</script>")
    body = c.get("/inventory/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_filter_and_sort(personas, client_for):
    c = client_for(personas.alice)
    _create(c, name="Alpha", risk_tier="low", status="idea")
    _create(
        c,
        name="Bravo",
        risk_tier="critical",
        status="production",
        eu_risk_class="high_risk",
        annex_iii_area="employment",
    )
    _create(c, name="Charlie", risk_tier="high", status="pilot")

    def names(q: str) -> list[str]:
        data = c.get(f"/api/inventory/?{q}").json()
        return [s["name"] for s in data["systems"]]

    assert names("sort=risk") == ["Bravo", "Charlie", "Alpha"]
    assert names("sort=-name") == ["Charlie", "Bravo", "Alpha"]
    assert names("status=pilot") == ["Charlie"]
    assert names("eu=high_risk") == ["Bravo"]
    assert names("q=alph") == ["Alpha"]
    assert names("risk=bogus") == ["Alpha", "Bravo", "Charlie"]  # an unknown filter value is ignored
    page = c.get("/inventory/?risk=critical").content.decode()
    assert ">Bravo</a>" in page and ">Alpha</a>" not in page


def test_csv_and_json_export_round_trip_through_import(personas, client_for):
    c = client_for(personas.alice)
    _create(c, name="Alpha", vendors="OpenAI; Anthropic", data_categories="personal")
    _create(c, name="=HYPERLINK(evil)")
    resp = c.get("/inventory/export.csv")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert {r["name"] for r in rows} == {
        "Alpha",
        "'=HYPERLINK(evil)",
    }  # no formula when opened in a spreadsheet
    alpha = next(r for r in rows if r["name"] == "Alpha")
    assert alpha["vendors"] == "OpenAI; Anthropic"
    exported = c.get("/inventory/export.json").json()
    AISystem.objects.filter(name="Alpha").delete()
    upload = io.BytesIO(json.dumps(exported).encode())
    upload.name = "inventory.json"
    report = c.post("/inventory/import/", {"file": upload})
    assert report.status_code == 200
    confirm = report.context["confirm"]
    assert c.post("/inventory/import/", {"confirm": confirm}).status_code == 302
    alpha = AISystem.objects.get(name="Alpha")
    assert alpha.vendors == ["OpenAI", "Anthropic"] and alpha.data_categories == ["personal"]


def test_import_reports_each_refused_row_and_keeps_only_valid_rows_on_confirm(personas, client_for):
    c = client_for(personas.alice)
    text = (
        "name,status,risk_tier,colour\n"
        "Good one,pilot,high,\n"
        "Bad enum,someday,high,\n"
        ",pilot,low,\n"
        "Good one,idea,low,\n"
    )
    upload = io.BytesIO(text.encode())
    upload.name = "inv.csv"
    resp = c.post("/inventory/import/", {"file": upload})
    assert resp.status_code == 200
    reports = resp.context["reports"]
    assert [r.ok for r in reports] == [False, False, False, False]  # the unknown column refuses every row
    body = resp.content.decode()
    assert "unknown column(s): colour" in body
    assert resp.context["unknown_columns"] == ["colour"]  # also said once, above the rows
    assert "Unknown column in the file: colour." in body
    text = (
        "name,status,risk_tier\nGood one,pilot,high\nBad enum,someday,high\n,pilot,low\nGood one,idea,low\n"
    )
    upload = io.BytesIO(text.encode())
    upload.name = "inv.csv"
    resp = c.post("/inventory/import/", {"file": upload})
    reports = resp.context["reports"]
    assert resp.context["unknown_columns"] == []
    assert [r.ok for r in reports] == [True, False, False, False]
    assert "status: 'someday' is not one of" in reports[1].errors[0]
    assert reports[2].errors == ["name: required"]
    assert reports[3].errors == ["name: duplicate of row 1"]
    assert not AISystem.objects.exists()  # nothing saved before the confirmation
    c.post("/inventory/import/", {"confirm": resp.context["confirm"]})
    assert list(AISystem.objects.values_list("name", "status")) == [("Good one", "pilot")]
    assert AuditEvent.objects.filter(action="inventory.imported").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"purpose,status\nx,idea\n", "needs a header row"),
        (b"[" * 5000 + b"]" * 5000, "not valid"),
        (b'{"systems": "nope"}', "list of systems"),
    ],
)
def test_bad_files_are_refused_with_a_reason(personas, client_for, content, message):
    c = client_for(personas.alice)
    upload = io.BytesIO(content)
    upload.name = "x.csv"
    resp = c.post("/inventory/import/", {"file": upload})
    assert resp.status_code == 400
    assert message in resp.content.decode()


def test_a_tampered_or_foreign_confirmation_changes_nothing(personas, client_for):
    c = client_for(personas.alice)
    resp = c.post("/inventory/import/", {"confirm": "x:y:z"}, follow=True)
    assert "expired or was altered" in resp.content.decode()
    assert not AISystem.objects.exists()


def test_access(personas, client_for, rag):
    alice, pat, gus, ada = (client_for(p) for p in (personas.alice, personas.pat, personas.gus, personas.ada))
    _create(alice, name="Acme bot")
    s = AISystem.objects.get()
    anon = client_for(None)
    for url in (
        "/inventory/",
        "/inventory/new/",
        f"/inventory/{s.pk}/",
        "/inventory/export.csv",
        "/inventory/import/",
    ):
        assert anon.get(url).status_code == 302
    assert anon.get("/api/inventory/").status_code in (401, 403)
    # another organisation's member learns nothing
    assert gus.get(f"/inventory/{s.pk}/").status_code == 404
    assert gus.get(f"/inventory/{s.pk}/edit/").status_code == 404
    assert gus.post(f"/inventory/{s.pk}/delete/").status_code == 404
    assert "Acme bot" not in gus.get("/inventory/export.csv").content.decode()
    assert gus.get("/api/inventory/").json()["systems"] == []
    # practitioners edit, admins delete and import
    assert pat.get(f"/inventory/{s.pk}/edit/").status_code == 200
    assert pat.post(f"/inventory/{s.pk}/delete/").status_code == 403
    assert pat.get("/inventory/import/").status_code == 403
    # an assessor without membership has no inventory
    assert ada.get("/inventory/").status_code == 403
    assert alice.post(f"/inventory/{s.pk}/delete/").status_code == 302
    assert not AISystem.objects.exists()


def test_names_are_unique_without_regard_to_case_on_the_form_as_on_import(personas, client_for):
    c = client_for(personas.alice)
    assert _create(c, name="CV screener").status_code == 302
    resp = _create(c, name="cv SCREENER")
    assert resp.status_code == 400
    assert "already in use" in resp.content.decode()
    assert AISystem.objects.filter(organisation=personas.acme).count() == 1
    s = AISystem.objects.get()
    edit = c.post(f"/inventory/{s.pk}/edit/", _form(name="CV Screener", status="pilot"))
    assert edit.status_code == 302  # renaming itself is no clash
    s.refresh_from_db()
    assert s.name == "CV Screener"
