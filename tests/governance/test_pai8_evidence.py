"""Evidence on PAI-8 checkpoints: the DSA's kinds (file checked by content and size, link,
workflow version, PSF analysis) plus an inventory record; another organisation's objects refused;
one-click attach of proposals; remove; the JSON/PDF report and the assessor's audit view."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from governance import services
from governance.models import AISystem, Pai8Assessment, Pai8Evidence
from psf.maturity import bundled_pai8
from tests.assessments.files import EXE, PDF

pytestmark = pytest.mark.django_db
CODES = [p.code for p in bundled_pai8().all_checkpoints()]


def _url(a: Pai8Assessment, code: str = "C1.1", tail: str = "") -> str:
    return f"/governance/self-assessments/{a.pk}/checkpoints/{code}/evidence/{tail}"


@pytest.fixture
def draft(personas: Any) -> Pai8Assessment:
    return services.pai8_assessment_start(organisation=personas.acme, actor=personas.alice)


def _workflow(org: Any, user: Any, name: str = "Support triage") -> Any:
    from tests.studio.helpers import make_workflow

    return make_workflow(org, user, name)


def _complete(a: Pai8Assessment, actor: Any) -> None:
    answers = {c: {"level": 2, "justification": "Policy approved"} for c in CODES}
    assert not services.pai8_answers_save(assessment=a, actor=actor, answers=answers)
    services.pai8_assessment_complete(assessment=a, actor=actor)


def test_a_file_is_accepted_by_its_content_and_downloads_with_its_hash(personas, client_for, draft):
    pat = client_for(personas.pat)
    resp = pat.post(
        _url(draft),
        {"kind": "file", "file": SimpleUploadedFile("policy.pdf", PDF), "title": "<b>AI policy</b>"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    item = Pai8Evidence.objects.get(assessment=draft)
    assert item.kind == "file" and item.sha256 == hashlib.sha256(PDF).hexdigest()
    assert item.content_type == "application/pdf" and item.size == len(PDF)
    page = pat.get(f"/governance/self-assessments/{draft.pk}/").content.decode()
    assert "&lt;b&gt;AI policy&lt;/b&gt;" in page and "<b>AI policy</b>" not in page
    dl = pat.get(f"/governance/self-assessments/{draft.pk}/evidence/{item.pk}/download/")
    assert dl.status_code == 200 and b"".join(dl.streaming_content) == PDF
    assert dl["X-Evidence-SHA256"] == item.sha256 and "attachment" in dl["Content-Disposition"]
    event = AuditEvent.objects.get(action="pai8.evidence_added")
    assert event.data["sha256"] == item.sha256 and event.data["checkpoint"] == "C1.1"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "logo.pdf",
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            "Scalable Vector Graphics",
        ),
        ("invoice.pdf", EXE, "executable"),
    ],
)
def test_a_disguised_file_is_refused_with_a_form_error(personas, client_for, draft, name, content, message):
    resp = client_for(personas.pat).post(
        _url(draft), {"kind": "file", "file": SimpleUploadedFile(name, content)}
    )
    assert resp.status_code == 400
    body = resp.content.decode()
    assert 'id="id_file_error"' in body and message in body
    assert not Pai8Evidence.objects.exists()


def test_a_too_large_file_is_refused(personas, client_for, draft, settings):
    settings.MAX_UPLOAD_BYTES = 100
    resp = client_for(personas.pat).post(
        _url(draft), {"kind": "file", "file": SimpleUploadedFile("big.pdf", PDF + b"0" * 200)}
    )
    assert resp.status_code == 413
    body = resp.content.decode()
    assert 'id="id_file_error"' in body and "the limit is" in body
    assert not Pai8Evidence.objects.exists()


def test_links_must_be_http(personas, client_for, draft):
    pat = client_for(personas.pat)
    bad = pat.post(_url(draft), {"kind": "link", "url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "https://" in bad.content.decode()
    ok = pat.post(_url(draft), {"kind": "link", "url": "https://intranet.example/ai-policy"})
    assert ok.status_code == 302
    assert Pai8Evidence.objects.get().url == "https://intranet.example/ai-policy"


def test_workflow_version_analysis_and_inventory_references(personas, client_for, draft):
    from studio.models import WorkflowVersion

    wf = _workflow(personas.acme, personas.alice)
    version = WorkflowVersion.objects.filter(workflow=wf).latest("number")
    system = services.ai_system_save(organisation=personas.acme, actor=personas.alice, values={"name": "Bot"})
    pat = client_for(personas.pat)
    form = pat.get(_url(draft)).content.decode()
    assert "Inventory record" in form and "Bot (" in form
    assert pat.post(_url(draft), {"kind": "workflow", "ref_workflow": str(version.pk)}).status_code == 302
    assert pat.post(_url(draft), {"kind": "analysis", "ref_analysis": str(version.pk)}).status_code == 302
    assert pat.post(_url(draft), {"kind": "inventory", "ref_inventory": str(system.pk)}).status_code == 302
    rows = {e.kind: e for e in Pai8Evidence.objects.filter(assessment=draft)}
    assert rows["workflow"].ref_type == "studio.WorkflowVersion" and rows["workflow"].ref_id == version.pk
    assert rows["analysis"].ref_type == "studio.Analysis"
    assert rows["inventory"].ref_type == "governance.AISystem" and rows["inventory"].ref_id == system.pk


def test_another_organisations_objects_are_refused(personas, client_for, draft):
    from studio.models import WorkflowVersion

    theirs = services.ai_system_save(organisation=personas.globex, actor=personas.gus, values={"name": "G"})
    wf = _workflow(personas.globex, personas.gus, "Globex flow")
    version = WorkflowVersion.objects.filter(workflow=wf).latest("number")
    pat = client_for(personas.pat)
    for data in (
        {"kind": "inventory", "ref_inventory": str(theirs.pk)},
        {"kind": "workflow", "ref_workflow": str(version.pk)},
    ):
        resp = pat.post(_url(draft), data)
        assert resp.status_code == 400
    assert not Pai8Evidence.objects.exists()
    # the service refuses too, whatever the form offers
    from governance.evidence import pai8_evidence_add
    from lib.errors import DomainError

    with pytest.raises(DomainError, match="not in your organisation"):
        pai8_evidence_add(
            assessment=draft, actor=personas.pat, checkpoint="C1.1", kind="inventory", ref=str(theirs.pk)
        )
    # and Globex's member cannot reach Acme's draft at all
    assert client_for(personas.gus).get(_url(draft)).status_code == 404
    assert pat.get(_url(draft, "C9.9")).status_code == 404


def test_attach_button_turns_proposals_into_evidence(personas, client_for, draft):
    for name in ("Bot A", "Bot B"):
        services.ai_system_save(organisation=personas.acme, actor=personas.alice, values={"name": name})
    pat = client_for(personas.pat)
    page = pat.get(f"/governance/self-assessments/{draft.pk}/").content.decode()
    assert 'data-testid="attach-C1.3-inventory"' in page
    resp = pat.post(_url(draft, "C1.3", "attach/"), {"proposal": "inventory"})
    assert resp.status_code == 302
    assert Pai8Evidence.objects.filter(checkpoint="C1.3", kind="inventory").count() == 2
    pat.post(_url(draft, "C1.3", "attach/"), {"proposal": "inventory"})  # not twice
    assert Pai8Evidence.objects.filter(checkpoint="C1.3", kind="inventory").count() == 2
    refused = pat.post(_url(draft, "C1.3", "attach/"), {"proposal": "audit_log"}, follow=True)
    assert "cannot be attached in one click" in refused.content.decode()


def test_attach_latest_analyses(personas, client_for, draft):
    from studio import analysis_service
    from studio.models import WorkflowVersion

    wf = _workflow(personas.acme, personas.alice)
    version = WorkflowVersion.objects.filter(workflow=wf).latest("number")
    analysis = analysis_service.analysis_for_version(version=version)
    resp = client_for(personas.pat).post(_url(draft, "C7.1", "attach/"), {"proposal": "analyses"})
    assert resp.status_code == 302
    item = Pai8Evidence.objects.get(checkpoint="C7.1")
    assert item.kind == "analysis" and item.ref_id == analysis.pk


def test_removed_evidence_is_gone_from_the_report_which_lists_the_rest(personas, client_for, draft):
    pat, alice = client_for(personas.pat), client_for(personas.alice)
    system = services.ai_system_save(organisation=personas.acme, actor=personas.alice, values={"name": "Bot"})
    pat.post(_url(draft), {"kind": "file", "file": SimpleUploadedFile("policy.pdf", PDF)})
    pat.post(_url(draft), {"kind": "inventory", "ref_inventory": str(system.pk)})
    pat.post(_url(draft), {"kind": "link", "url": "https://example.org/gone", "title": "Gone"})
    gone = Pai8Evidence.objects.get(kind="link")
    resp = pat.post(f"/governance/self-assessments/{draft.pk}/evidence/{gone.pk}/remove/")
    assert resp.status_code == 302
    gone.refresh_from_db()
    assert gone.removed_at is not None
    assert AuditEvent.objects.filter(action="pai8.evidence_removed").count() == 1
    _complete(draft, personas.alice)
    # no changes once completed
    late = pat.post(_url(draft), {"kind": "link", "url": "https://example.org/late"})
    assert late.status_code == 409
    report = json.loads(b"".join([alice.get(f"/governance/self-assessments/{draft.pk}/report.json").content]))
    cp = next(p for c in report["controls"] for p in c["checkpoints"] if p["code"] == "C1.1")
    kinds = {e["kind"]: e for e in cp["evidence"]}
    assert set(kinds) == {"file", "inventory"}
    assert kinds["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert kinds["inventory"]["ref"] == {
        "type": "governance.AISystem",
        "id": system.pk,
        "label": Pai8Evidence.objects.get(kind="inventory").ref_label,
    }
    assert "Gone" not in json.dumps(report)
    pdf = alice.get(f"/governance/self-assessments/{draft.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_assessor_sees_and_downloads_the_evidence(personas, client_for, draft):
    pat = client_for(personas.pat)
    pat.post(
        _url(draft), {"kind": "file", "file": SimpleUploadedFile("minutes.pdf", PDF), "title": "Minutes"}
    )
    item = Pai8Evidence.objects.get()
    _complete(draft, personas.alice)
    services.pai8_assessment_submit(assessment=draft, actor=personas.alice)
    ada = client_for(personas.ada)
    page = ada.get(f"/review/pai8/{draft.pk}/").content.decode()
    assert 'data-testid="audit-evidence-C1.1"' in page and "Minutes" in page
    dl = ada.get(f"/review/pai8/{draft.pk}/evidence/{item.pk}/download/")
    assert dl.status_code == 200 and b"".join(dl.streaming_content) == PDF


def test_evidence_carries_over_to_the_next_self_assessment(personas, client_for, draft):
    system = AISystem.objects.create(organisation=personas.acme, name="Bot")
    client_for(personas.pat).post(_url(draft), {"kind": "inventory", "ref_inventory": str(system.pk)})
    _complete(draft, personas.alice)
    nxt = services.pai8_assessment_start(organisation=personas.acme, actor=personas.alice)
    assert nxt.pk != draft.pk
    assert list(nxt.evidence_items.values_list("kind", "ref_id")) == [("inventory", system.pk)]


def test_simulation_runs_as_evidence_and_the_simulations_proposal(personas, client_for, draft):
    from tests.evidence.helpers import add_simulation, head

    wf = _workflow(personas.acme, personas.alice)
    run = add_simulation(head(wf), n=200)
    theirs = add_simulation(head(_workflow(personas.globex, personas.gus, "Globex flow")), n=200)
    pat = client_for(personas.pat)
    assert pat.post(_url(draft), {"kind": "simulation", "ref_simulation": str(theirs.pk)}).status_code == 400
    assert pat.post(_url(draft), {"kind": "simulation", "ref_simulation": str(run.pk)}).status_code == 302
    assert Pai8Evidence.objects.get(checkpoint="C1.1").ref_type == "simulations.SimulationRun"
    assert pat.post(_url(draft, "C6.3", "attach/"), {"proposal": "simulations"}).status_code == 302
    item = Pai8Evidence.objects.get(checkpoint="C6.3")
    assert item.kind == "simulation" and item.ref_id == run.pk
