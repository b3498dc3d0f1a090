"""PAI-8 self-assessment: start, answer with justification, posture by the rule, proposals of
existing evidence, improvement plan, history, the report (JSON and PDF), and the audited review."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import AuditEvent
from governance.models import AISystem, ImprovementAction, Pai8Assessment
from psf.maturity import bundled_pai8

pytestmark = pytest.mark.django_db
CODES = [p.code for p in bundled_pai8().all_checkpoints()]


def _answers(
    level: int | dict[str, int], justification: str = "Policy approved by the board in May"
) -> dict[str, str]:
    data: dict[str, str] = {}
    for code in CODES:
        lv = level.get(code, 2) if isinstance(level, dict) else level
        data[f"{code}-level"] = str(lv)
        data[f"{code}-justification"] = justification
        data[f"{code}-owner"] = "CISO"
    return data


def _start(client) -> Pai8Assessment:  # type: ignore[no-untyped-def]
    resp = client.post("/governance/self-assessments/start/")
    assert resp.status_code == 302
    return Pai8Assessment.objects.latest("pk")


def test_only_an_admin_starts_and_a_practitioner_answers(personas, client_for):
    pat, alice = client_for(personas.pat), client_for(personas.alice)
    assert pat.post("/governance/self-assessments/start/").status_code == 403
    a = _start(alice)
    assert a.status == Pai8Assessment.DRAFT and a.framework_version.framework == "PAI-8"
    assert _start(alice).pk == a.pk  # one draft at a time
    resp = pat.post(
        f"/governance/self-assessments/{a.pk}/", {"C1.1-level": "1", "C1.1-justification": "Named owner"}
    )
    assert resp.status_code == 302
    assert a.answers.get(checkpoint="C1.1").level == 1


def test_a_level_without_a_justification_is_refused_and_the_rest_is_kept(personas, client_for):
    alice = client_for(personas.alice)
    a = _start(alice)
    resp = alice.post(
        f"/governance/self-assessments/{a.pk}/",
        {
            "C1.1-level": "2",
            "C1.1-justification": "",
            "C1.2-level": "1",
            "C1.2-justification": "Written",
            "C1.3-level": "7",
        },
    )
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "A level needs a justification." in body
    assert "Choose a level from L0 to L3." in body
    assert list(a.answers.values_list("checkpoint", flat=True)) == ["C1.2"]


def test_completion_rates_the_posture_by_the_rule(personas, client_for):
    alice = client_for(personas.alice)
    a = _start(alice)
    partial = {k: v for k, v in _answers(2).items() if not k.startswith("C8.4")}
    resp = alice.post(f"/governance/self-assessments/{a.pk}/", {**partial, "complete": "1"}, follow=True)
    assert "1 to go" in resp.content.decode()
    a.refresh_from_db()
    assert a.status == Pai8Assessment.DRAFT
    levels = {c: 2 for c in CODES} | {"C3.2": 1, "C5.1": 3}
    alice.post(f"/governance/self-assessments/{a.pk}/", {**_answers(levels), "complete": "1"})
    a.refresh_from_db()
    assert a.status == Pai8Assessment.COMPLETED
    assert a.posture_level == 1  # the lowest control (C3 at L1)
    assert a.control_levels["C3"] == 1 and a.control_levels["C5"] == 2
    assert a.posture_mean == pytest.approx((7 * 2 + 1) / 8, abs=0.01)
    assert AuditEvent.objects.filter(action="pai8.completed").exists()
    home = alice.get("/governance/").content.decode()
    assert 'data-testid="posture"' in home and "Posture: L1" in home
    # a completed assessment can no longer be changed
    resp = alice.post(f"/governance/self-assessments/{a.pk}/", _answers(3), follow=True)
    assert "no longer a draft" in resp.content.decode()


def test_proposals_of_evidence_already_here(personas, client_for):
    from studio.services import workflow_from_template

    alice = client_for(personas.alice)
    wf = workflow_from_template(organisation=personas.acme, author=personas.alice, slug="rag-assistant")
    system = AISystem.objects.create(organisation=personas.acme, name="Help bot", vendors=["OpenAI"])
    system.workflows.add(wf)
    a = _start(alice)
    page = alice.get(f"/governance/self-assessments/{a.pk}/")
    assert page.status_code == 200
    props = page.context["proposals"]
    assert "AI use-case inventory: 1 system(s)" in props["C1.3"][0].text
    assert "OpenAI" in props["C8.1"][0].text


def test_report_history_and_improvement_plan(personas, client_for):
    alice = client_for(personas.alice)
    a = _start(alice)
    alice.post(f"/governance/self-assessments/{a.pk}/", {**_answers(1), "complete": "1"})
    b = _start(alice)
    assert b.answers.count() == 32  # a re-assessment starts from the last answers
    alice.post(f"/governance/self-assessments/{b.pk}/", {**_answers(2), "complete": "1"})
    due = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    resp = alice.post(
        "/governance/actions/new/",
        {"control": "C3", "action": "Write the PII procedure", "owner": "DPO", "due": due, "status": "open"},
    )
    assert resp.status_code == 302
    assert ImprovementAction.objects.get().is_overdue
    bad = alice.post("/governance/actions/new/", {"control": "C99", "action": "", "owner": "", "due": "soon"})
    assert bad.status_code == 400
    home = alice.get("/governance/").content.decode()
    assert "<svg" in home and "overdue" in home
    report = alice.get(f"/governance/self-assessments/{b.pk}/report.json")
    assert report.status_code == 200
    data = report.json()
    assert data["posture"]["level"] == 2 and data["posture"]["audited"] is False
    assert len(data["controls"]) == 8 and data["improvement_plan"][0]["owner"] == "DPO"
    pdf = alice.get(f"/governance/self-assessments/{b.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    draft = _start(alice)
    assert alice.get(f"/governance/self-assessments/{draft.pk}/report.json").status_code == 409


def test_submit_and_an_independent_assessor_audits(personas, client_for):
    alice, ada, pat = client_for(personas.alice), client_for(personas.ada), client_for(personas.pat)
    a = _start(alice)
    alice.post(f"/governance/self-assessments/{a.pk}/", {**_answers(2), "complete": "1"})
    assert pat.post(f"/governance/self-assessments/{a.pk}/submit/").status_code == 403
    assert alice.post(f"/governance/self-assessments/{a.pk}/submit/").status_code == 302
    a.refresh_from_db()
    assert a.status == Pai8Assessment.SUBMITTED
    queue = ada.get("/review/pai8/")
    assert queue.status_code == 200 and a.reference in queue.content.decode()
    assert pat.get("/review/pai8/").status_code == 403
    decisions = {f"{c}-level": "2" for c in CODES}
    decisions["C7.1-level"] = "1"  # lowered without a comment
    resp = ada.post(f"/review/pai8/{a.pk}/", decisions)
    assert resp.status_code == 400 and "say why the level changed" in resp.content.decode()
    decisions["C7.1-comment"] = "No decision-level logs for the claims bot"
    assert ada.post(f"/review/pai8/{a.pk}/", decisions).status_code == 302
    a.refresh_from_db()
    assert a.status == Pai8Assessment.AUDITED and a.auditor == personas.ada
    assert a.audited_posture_level == 1 and a.posture_level == 2
    data = alice.get(f"/governance/self-assessments/{a.pk}/report.json").json()
    assert data["posture"]["audited"] is True and data["posture"]["level"] == 1
    assert "audited by" in alice.get("/governance/").content.decode()


def test_a_conflicted_assessor_cannot_audit(personas, client_for):
    from accounts.models import Membership

    alice = client_for(personas.alice)
    a = _start(alice)
    alice.post(f"/governance/self-assessments/{a.pk}/", {**_answers(2), "complete": "1"})
    alice.post(f"/governance/self-assessments/{a.pk}/submit/")
    Membership.objects.create(user=personas.ada, organisation=personas.acme)
    resp = client_for(personas.ada).get(f"/review/pai8/{a.pk}/")
    assert resp.status_code == 403 and "Conflict of interest" in resp.content.decode()


def test_another_organisation_gets_404(personas, client_for):
    alice, gus = client_for(personas.alice), client_for(personas.gus)
    a = _start(alice)
    for url in (
        f"/governance/self-assessments/{a.pk}/",
        f"/governance/self-assessments/{a.pk}/report.json",
        f"/governance/self-assessments/{a.pk}/report.pdf",
    ):
        assert gus.get(url).status_code == 404
    assert gus.post(f"/governance/self-assessments/{a.pk}/submit/").status_code == 404
    assert client_for(None).get("/governance/").status_code == 302


def test_a_referenced_pai8_version_cannot_change_in_place(personas, client_for, tmp_path):
    import yaml
    from django.core.management import call_command

    from psf.maturity import PAI8_PATH

    _start(client_for(personas.alice))
    data = yaml.safe_load(PAI8_PATH.read_text(encoding="utf-8"))
    data["controls"][0]["intent"] = "Quietly reworded after organisations answered it."
    changed = tmp_path / "pai8-edited.yaml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        call_command("load_rubric", str(changed))
    assert info.value.code == 1
    from psf.selectors import maturity_of, pai8_version_get

    assert maturity_of(pai8_version_get()).controls[0].intent != data["controls"][0]["intent"]
