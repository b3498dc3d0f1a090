from __future__ import annotations

import io
import json
import zipfile

from studio.models import Workflow
from tests.e2e.conftest import sign_in

LEGACY = {
    "id": "wf-legacy",
    "name": "Claims triage (old studio)",
    "description": "Mapped in the earlier WorkflowOS studio",
    "workflowType": "current_state",
    "version": 3,
    "metadata": {"graphVersion": 2},
    "nodes": [
        {
            "id": "form",
            "type": "integration",
            "position": {"x": 0, "y": 0},
            "data": {
                "name": "Claim form",
                "subtype": "form_submit",
                "direction": "inbound",
                "system": "Portal",
            },
        },
        {
            "id": "triage",
            "type": "skill",
            "position": {"x": 250, "y": 0},
            "data": {
                "name": "Triage claim",
                "autonomyLevel": 1,
                "riskCategory": "financial",
                "runtimeTarget": "claude",
                "modelName": "claude-sonnet",
            },
        },
        {
            "id": "approve",
            "type": "human",
            "position": {"x": 500, "y": 0},
            "data": {"name": "Adjuster approval", "subtype": "approval", "approverRole": "Adjuster"},
        },
        {
            "id": "idea",
            "type": "proposal",
            "position": {"x": 500, "y": 200},
            "data": {"name": "Auto-approve small claims"},
        },
    ],
    "edges": [
        {"id": "e1", "source": "form", "target": "triage", "edgeType": "integration", "label": ""},
        {"id": "e2", "source": "triage", "target": "approve", "edgeType": "human", "label": ""},
        {"id": "e3", "source": "triage", "target": "idea", "edgeType": "proposal", "label": ""},
    ],
}


def test_import_wfos_then_change_and_view_diff(page, personas, tmp_path):
    wfos = tmp_path / "claims.wfos"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "manifest.json",
            json.dumps({"formatVersion": "1", "title": "Claims triage", "author": "ops", "version": "3"}),
        )
        z.writestr("workflow.json", json.dumps(LEGACY))
    wfos.write_bytes(buf.getvalue())

    sign_in(page, "pat@acme.example")
    page.goto("/studio/import/")
    page.set_input_files("#id_file", str(wfos))
    page.get_by_role("button", name="Import").click()
    result = page.get_by_test_id("import-result")
    result.wait_for()
    assert "Claims triage (old studio)" in result.inner_text()
    assert "proposal" in page.get_by_test_id("unmapped").inner_text().lower()

    wf = Workflow.objects.get(name="Claims triage (old studio)")
    assert wf.organisation == personas.acme
    page.get_by_role("link", name="Open in the editor").click()
    page.wait_for_url(f"**/studio/{wf.pk}/")

    # A second version through the form view, then the side-by-side diff.
    page.goto(f"/studio/{wf.pk}/steps/")
    page.select_option("#id_type", "output_validator")
    page.fill("#id_label", "Check triage output")
    page.fill("#id_node_id", "check")
    page.get_by_role("button", name="Add step").click()
    page.wait_for_url(f"**/studio/{wf.pk}/steps/check/")
    page.goto(f"/studio/{wf.pk}/history/")
    page.get_by_role("button", name="Compare selected versions").click()
    page.wait_for_url("**/diff/**")
    diff = page.get_by_test_id("diff")
    diff.wait_for()
    added = page.locator("tr[data-change=node-added]")
    assert added.count() == 1
    assert "Check triage output" in added.inner_text()
