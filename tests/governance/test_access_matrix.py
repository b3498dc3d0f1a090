"""Every URL of the organisation path (inventory, PAI-8 self-assessment, improvement plan, the
assessor's audit) × every persona → the expected status.

Personas as in tests/access.py plus org_admin (alice, Acme AI's admin) and adviser (mia, a
practitioner of Acme AI and Globex whose active organisation is Acme AI). Members read and edit
their organisation's inventory and answers; only its admins import, delete, start, complete and
submit (403 for a practitioner). Another organisation's member gets 404 for Acme AI's objects.
The assessor and the platform admin belong to no organisation: 403 on members' pages. Audit pages
are for assessors (and the platform admin, as for the DSA's review); a self-assessment that was
not submitted is out of their reach (404).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from tests.access import LOGIN

pytestmark = pytest.mark.django_db

ALL = ["anonymous", "other_org", "assessor", "admin", "same_org", "adviser", "org_admin"]

MEMBER = {
    "anonymous": LOGIN,
    "same_org": 200,
    "other_org": 200,
    "assessor": 403,
    "admin": 403,
    "org_admin": 200,
    "adviser": 200,
}
ACME = {**MEMBER, "other_org": 404}  # an Acme AI object
ACME_POST = {k: (302 if v == 200 else v) for k, v in ACME.items()}
ADMIN_ONLY = {**MEMBER, "same_org": 403, "other_org": 403, "adviser": 403}  # gus: a practitioner
ACME_ADMIN = {**ACME, "same_org": 403, "adviser": 403}
ACME_ADMIN_POST = {k: (302 if v == 200 else v) for k, v in ACME_ADMIN.items()}
API = {
    "anonymous": 401,
    "same_org": 200,
    "other_org": 200,
    "assessor": 403,
    "admin": 403,
    "org_admin": 200,
    "adviser": 200,
}
AUDIT = {
    "anonymous": LOGIN,
    "same_org": 403,
    "other_org": 403,
    "assessor": 200,
    "admin": 200,
    "org_admin": 403,
    "adviser": 403,
}

# (method, url, expected, data)
ROWS: list[tuple[str, str, dict[str, Any], dict[str, str] | None]] = [
    ("GET", "/inventory/", MEMBER, None),
    ("GET", "/inventory/?q=bot&status=production&risk=high&eu=limited&sort=risk", MEMBER, None),
    ("GET", "/inventory/new/", MEMBER, None),
    ("POST", "/inventory/new/", {**ACME_POST, "other_org": 302}, "new_system"),
    ("GET", "/inventory/export.csv", MEMBER, None),
    ("GET", "/inventory/export.json", MEMBER, None),
    ("GET", "/api/inventory/", API, None),
    ("GET", "/inventory/import/", ADMIN_ONLY, None),
    ("GET", "/inventory/{system}/", ACME, None),
    ("GET", "/inventory/{system}/edit/", ACME, None),
    ("POST", "/inventory/{system}/edit/", ACME_POST, "edit_system"),
    (
        "GET",
        "/inventory/{globex_system}/",
        {**MEMBER, "same_org": 404, "org_admin": 404, "adviser": 404},
        None,
    ),
    ("POST", "/inventory/{doomed}/delete/", ACME_ADMIN_POST, {}),
    ("GET", "/governance/", MEMBER, None),
    ("GET", "/governance/self-assessments/{draft}/", ACME, None),
    ("POST", "/governance/self-assessments/{draft}/", ACME_POST, "answer"),
    ("GET", "/governance/self-assessments/{completed}/", ACME, None),
    ("GET", "/governance/self-assessments/{submitted}/", ACME, None),
    ("GET", "/governance/self-assessments/{completed}/report.json", ACME, None),
    ("GET", "/governance/self-assessments/{completed}/report.pdf", ACME, None),
    # A draft has no report yet: a clear 409 (JSON) or a redirect back to the draft (PDF).
    (
        "GET",
        "/governance/self-assessments/{draft}/report.json",
        {**ACME, "same_org": 409, "org_admin": 409, "adviser": 409},
        None,
    ),
    ("GET", "/governance/self-assessments/{draft}/report.pdf", ACME_POST, None),
    ("POST", "/governance/self-assessments/start/", {**ADMIN_ONLY, "org_admin": 302}, {}),
    ("POST", "/governance/self-assessments/{completed}/submit/", ACME_ADMIN_POST, {}),
    # Evidence on a checkpoint of the draft: members add, attach proposals and remove; a file
    # downloads for members; an unknown checkpoint is a 404 like another organisation's draft.
    ("GET", "/governance/self-assessments/{draft}/checkpoints/C1.1/evidence/", ACME, None),
    ("POST", "/governance/self-assessments/{draft}/checkpoints/C1.1/evidence/", ACME_POST, "evidence_link"),
    (
        "GET",
        "/governance/self-assessments/{draft}/checkpoints/C9.9/evidence/",
        {**ACME, "same_org": 404, "org_admin": 404, "adviser": 404},
        None,
    ),
    (
        "POST",
        "/governance/self-assessments/{draft}/checkpoints/C1.3/evidence/attach/",
        ACME_POST,
        {"proposal": "inventory"},
    ),
    ("POST", "/governance/self-assessments/{draft}/evidence/{draft_link}/remove/", ACME_POST, {}),
    ("GET", "/governance/self-assessments/{draft}/evidence/{draft_file}/download/", ACME, None),
    # A completed self-assessment's evidence no longer changes: members are sent back with a reason.
    (
        "POST",
        "/governance/self-assessments/{completed}/checkpoints/C1.1/evidence/",
        {**ACME, "same_org": 409, "org_admin": 409, "adviser": 409},
        "evidence_link",
    ),
    ("GET", "/governance/actions/new/", MEMBER, None),
    ("POST", "/governance/actions/new/", {**ACME_POST, "other_org": 302}, "action"),
    ("GET", "/governance/actions/{action}/", ACME, None),
    ("POST", "/governance/actions/{action}/", ACME_POST, "action"),
    ("GET", "/review/pai8/", AUDIT, None),
    ("GET", "/review/pai8/{submitted}/", AUDIT, None),
    # Not submitted: not in the assessor's reach at all.
    ("GET", "/review/pai8/{draft}/", {**AUDIT, "assessor": 404, "admin": 404}, None),
    ("POST", "/review/pai8/{submitted}/", {**AUDIT, "assessor": 302, "admin": 302}, "audit"),
    ("GET", "/review/pai8/{submitted}/evidence/{submitted_file}/download/", AUDIT, None),
    (
        "GET",
        "/review/pai8/{draft}/evidence/{draft_file}/download/",
        {**AUDIT, "assessor": 404, "admin": 404},
        None,
    ),
]
CSP_ROWS = [(m, u, e) for m, u, e, _ in ROWS]  # the shape tests/test_csp.py reads


@pytest.fixture
def governance_objects(personas: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    from governance import services
    from governance.models import AISystem, Pai8Assessment
    from psf.maturity import bundled_pai8

    settings.MEDIA_ROOT = tmp_path / "media"  # evidence files of the matrix (also read by tests/test_csp.py)
    acme, alice = personas.acme, personas.alice
    system = services.ai_system_save(
        organisation=acme, actor=alice, values={"name": "Support bot", "risk_tier": "high"}
    )
    doomed = services.ai_system_save(organisation=acme, actor=alice, values={"name": "Old pilot"})
    globex_system = services.ai_system_save(
        organisation=personas.globex, actor=personas.gus, values={"name": "Globex bot"}
    )
    codes = [p.code for p in bundled_pai8().all_checkpoints()]
    answers = {c: {"level": 2, "justification": "Policy approved", "owner": "CISO"} for c in codes}

    def attach_file(a: Pai8Assessment) -> int:
        from assessments.services import Upload
        from governance.evidence import pai8_evidence_add
        from tests.assessments.files import PDF

        return pai8_evidence_add(
            assessment=a,
            actor=alice,
            checkpoint="C1.1",
            kind="file",
            upload=Upload("policy.pdf", io.BytesIO(PDF), len(PDF)),
        ).pk

    files: dict[str, int] = {}

    def finished(status: str) -> Pai8Assessment:
        a = services.pai8_assessment_start(organisation=acme, actor=alice)
        files[status] = attach_file(a)
        assert not services.pai8_answers_save(assessment=a, actor=alice, answers=answers)
        services.pai8_assessment_complete(assessment=a, actor=alice)
        if status == Pai8Assessment.SUBMITTED:
            services.pai8_assessment_submit(assessment=a, actor=alice)
        return a

    submitted = finished(Pai8Assessment.SUBMITTED)
    completed = finished(Pai8Assessment.COMPLETED)
    draft = services.pai8_assessment_start(organisation=acme, actor=alice)
    from governance.evidence import pai8_evidence_add

    draft_link = pai8_evidence_add(
        assessment=draft, actor=alice, checkpoint="C1.1", kind="link", url="https://example.org/x"
    )
    action = services.improvement_action_save(
        organisation=acme,
        actor=alice,
        control="C3",
        action="Write the incident runbook",
        owner="CISO",
        due=timezone.localdate() + dt.timedelta(days=30),
        assessment=completed,
    )
    assert AISystem.objects.filter(organisation=acme).count() == 2
    return {
        "system": system.pk,
        "doomed": doomed.pk,
        "globex_system": globex_system.pk,
        "draft": draft.pk,
        "completed": completed.pk,
        "submitted": submitted.pk,
        "action": action.pk,
        "codes": codes,
        "draft_link": draft_link.pk,
        "draft_file": attach_file(draft),
        "submitted_file": files[Pai8Assessment.SUBMITTED],
    }


def _data(kind: Any, objs: dict[str, Any], persona: str) -> dict[str, str]:
    if isinstance(kind, dict):
        return kind
    if kind == "new_system":
        return {
            "name": f"New system of {persona}",
            "status": "idea",
            "risk_tier": "low",
            "eu_role": "deployer",
            "eu_risk_class": "minimal",
        }
    if kind == "edit_system":
        return {
            "name": "Support bot",
            "status": "pilot",
            "risk_tier": "high",
            "eu_role": "deployer",
            "eu_risk_class": "limited",
        }
    if kind == "evidence_link":
        return {"kind": "link", "url": f"https://example.org/{persona}"}
    if kind == "answer":
        return {"C1.1-level": "1", "C1.1-justification": f"Named owner ({persona})"}
    if kind == "action":
        due = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
        return {"control": "C2", "action": "Train the staff", "owner": "HR", "due": due, "status": "open"}
    if kind == "audit":
        out = {}
        for code in objs["codes"]:
            out[f"{code}-level"] = "2"
        return out
    raise AssertionError(kind)


def request_as(client: Any, method: str, url: str, data: dict[str, str] | None) -> Any:
    return client.post(url, data or {}) if method == "POST" else client.get(url)


@pytest.mark.parametrize(("method", "url", "expected", "data"), ROWS, ids=[f"{m} {u}" for m, u, _, _ in ROWS])
def test_access_matrix(
    method: str,
    url: str,
    expected: dict[str, Any],
    data: Any,
    personas: Any,
    governance_objects: dict[str, Any],
    client_for: Callable[..., Any],
):
    from tests.access import persona_users

    users = persona_users(personas)
    target = url.format(**governance_objects)
    failures = []
    for persona in ALL:
        resp = request_as(
            client_for(users[persona]),
            method,
            target,
            _data(data, governance_objects, persona) if method == "POST" else None,
        )
        want = expected[persona]
        ok = (
            resp.status_code == 302 and "/accounts/sign-in/" in resp["Location"]
            if want == LOGIN
            else resp.status_code == want
        )
        if not ok:
            failures.append(f"{persona}: expected {want}, got {resp.status_code}")
    assert not failures, f"{method} {target}: " + "; ".join(failures)
