"""Browser tests of the studio's graph editor (Drawflow): build, configure, connect, save, reload,
edge kinds, deletion, conflicting saves, and that user text never becomes markup."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import sign_in

PAT = "pat@acme.example"
XSS = "<img src=x onerror=alert(1)>"


# --- helpers -----------------------------------------------------------------------------------


def make_workflow(
    personas: Any, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], name: str = "Editor test"
) -> Any:
    from studio.format import parse_document
    from studio.services import workflow_create

    doc = parse_document({"name": name, "nodes": nodes, "edges": edges})
    return workflow_create(organisation=personas.acme, author=personas.pat, document=doc)


def node(id_: str, type_: str, label: str, x: float, y: float, **config: Any) -> dict[str, Any]:
    return {"id": id_, "type": type_, "label": label, "config": config, "position": {"x": x, "y": y}}


def open_editor(page: Any, wf_id: int, query: str = "") -> None:
    page.goto(f"/studio/{wf_id}/{query}")
    page.wait_for_selector("#editor[data-ready=true]")


def card(page: Any, node_id: str) -> Any:
    return page.locator(f'.drawflow-node[data-node-id="{node_id}"]')


def edge(page: Any, edge_id: str) -> Any:
    return page.locator(f'svg.connection[data-edge-id="{edge_id}"]')


def centre(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def connect(page: Any, source: str, target: str) -> None:
    """Drag from the source step's output handle onto the target step's input handle."""
    x0, y0 = centre(card(page, source).locator(".output"))
    x1, y1 = centre(card(page, target).locator(".input"))
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2 + 20, steps=4)
    page.mouse.move(x1, y1, steps=4)
    page.mouse.up()


def click_edge(page: Any, edge_id: str) -> None:
    """Click the middle of a connection's curve (screen coordinates of the path's midpoint)."""
    x, y = page.evaluate(
        """(id) => {
            const p = document.querySelector(`svg.connection[data-edge-id="${id}"] path`);
            const pt = p.getPointAtLength(p.getTotalLength() / 2), m = p.getScreenCTM();
            return [pt.x * m.a + pt.y * m.c + m.e, pt.x * m.b + pt.y * m.d + m.f];
        }""",
        edge_id,
    )
    page.mouse.click(x, y)


def api_document(page: Any, wf_id: int) -> dict[str, Any]:
    response = page.request.get(f"/api/workflows/{wf_id}/")
    assert response.status == 200
    return response.json()


def status_text(page: Any) -> str:
    return page.get_by_test_id("editor-status").inner_text()


def save(page: Any, expect: str) -> None:
    page.get_by_test_id("save").click()
    page.wait_for_function(
        "(t) => document.querySelector('[data-testid=editor-status]').textContent.includes(t)", arg=expect
    )


# --- tests -------------------------------------------------------------------------------------


def test_blank_workflow_add_connect_configure_save_reload(page, personas):
    sign_in(page, PAT)
    page.goto("/studio/new/")
    page.fill("#id_name", "Claims assistant")
    page.get_by_role("button", name="Create workflow").click()
    page.wait_for_selector("#editor[data-ready=true]")
    wf_id = int(page.url.rstrip("/").split("/")[-1])
    assert page.locator(".wfe-empty").is_visible()
    assert page.get_by_test_id("head-version").inner_text() == "v1"

    canvas = page.get_by_test_id("canvas")
    # One step by clicking the palette, two by dragging palette items onto the canvas.
    page.get_by_test_id("palette-user_input").click()
    page.fill("#wfe-label", "Customer message")
    card(page, "user_input").drag_to(canvas, target_position={"x": 120, "y": 110})
    page.get_by_test_id("palette-llm_call").drag_to(canvas, target_position={"x": 350, "y": 260})
    page.fill("#wfe-label", "Draft answer")
    page.get_by_test_id("palette-response").drag_to(canvas, target_position={"x": 580, "y": 110})
    page.fill("#wfe-label", "Reply")
    assert page.locator(".drawflow-node").count() == 3
    assert not page.locator(".wfe-empty").is_visible()

    connect(page, "user_input", "llm_call")
    assert page.get_by_test_id("edge-kind").input_value() == "data"  # a new connection is selected, kind data
    connect(page, "llm_call", "response")
    assert page.locator("svg.connection").count() == 2

    card(page, "llm_call").click()
    assert page.locator("#wfe-label").input_value() == "Draft answer"
    page.get_by_label("Vendor").fill("openai")
    page.get_by_label("Model", exact=True).fill("gpt-4o")
    page.get_by_label("Model version (pinned)").fill("gpt-4o-2024-08-06")
    page.get_by_label("Autonomy level").select_option("L1")
    page.get_by_label("Temperature").fill("0.2")
    page.get_by_label("Data categories").fill("personal, financial")
    page.get_by_label("System prompt treated as a security boundary").select_option("true")
    assert page.get_by_test_id("dirty-indicator").inner_text() == "Unsaved changes"

    page.keyboard.press("Control+s")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=editor-status]').textContent.includes('Saved as version 2')"
    )
    assert page.get_by_test_id("head-version").inner_text() == "v2"
    assert page.get_by_test_id("dirty-indicator").inner_text() == "No changes"

    saved = api_document(page, wf_id)
    assert saved["head_version"] == 2
    doc = saved["document"]
    nodes = {n["id"]: n for n in doc["nodes"]}  # the server stores documents in canonical (id) order
    assert {i: (n["type"], n["label"]) for i, n in nodes.items()} == {
        "user_input": ("user_input", "Customer message"),
        "llm_call": ("llm_call", "Draft answer"),
        "response": ("response", "Reply"),
    }
    llm = nodes["llm_call"]
    assert llm["config"] == {
        "vendor": "openai",
        "model": "gpt-4o",
        "model_version": "gpt-4o-2024-08-06",
        "autonomy_level": "L1",
        "temperature": 0.2,
        "data_categories": ["personal", "financial"],
        "system_prompt_protected": True,
    }
    assert all(isinstance(n["position"]["x"], int | float) for n in doc["nodes"])
    assert sorted((e["from"], e["to"], e["kind"]) for e in doc["edges"]) == [
        ("llm_call", "response", "data"),
        ("user_input", "llm_call", "data"),
    ]

    page.reload()
    page.wait_for_selector("#editor[data-ready=true]")
    assert page.get_by_test_id("head-version").inner_text() == "v2"
    assert {i: card(page, i).locator(".wf-card-label").inner_text() for i in nodes} == {
        i: n["label"] for i, n in nodes.items()
    }
    assert page.locator(".drawflow-node").count() == 3
    for n in doc["nodes"]:  # each step sits where it was saved
        style = card(page, n["id"]).get_attribute("style") or ""
        assert f"left: {n['position']['x']:g}px" in style and f"top: {n['position']['y']:g}px" in style
    assert {edge(page, e["id"]).get_attribute("class").split()[-1] for e in doc["edges"]} == {"kind-data"}
    card(page, "llm_call").click()
    assert page.get_by_label("Model version (pinned)").input_value() == "gpt-4o-2024-08-06"
    assert page.get_by_label("Autonomy level").input_value() == "L1"
    assert page.get_by_label("Temperature").input_value() == "0.2"
    assert page.get_by_label("Data categories").input_value() == "personal, financial"
    assert "LLM call" in page.locator(".wfe-panel").inner_text()
    # Saving again without a change creates no version.
    save(page, "Nothing changed since version 2")
    assert api_document(page, wf_id)["head_version"] == 2


def test_fallback_kind_survives_reload_and_highlight(page, personas):
    wf = make_workflow(
        personas,
        [
            node("primary", "llm_call", "Primary model", 40, 80),
            node("backup", "llm_call", "Backup model", 340, 200),
            node("out", "response", "Reply", 640, 80),
        ],
        [
            {"id": "e1", "from": "primary", "to": "out"},
            {"id": "e2", "from": "primary", "to": "backup"},
            {"id": "e3", "from": "backup", "to": "out"},
        ],
    )
    sign_in(page, PAT)
    open_editor(page, wf.pk, "?highlight=backup")
    assert "is-highlighted" in card(page, "backup").get_attribute("class")
    assert "is-highlighted" not in card(page, "primary").get_attribute("class")

    click_edge(page, "e2")
    kind = page.get_by_test_id("edge-kind")
    assert kind.input_value() == "data"
    kind.select_option("fallback")
    page.fill("#wfe-edge-label", "on timeout")
    assert "kind-fallback" in edge(page, "e2").get_attribute("class")
    dash = page.evaluate(
        "() => getComputedStyle(document.querySelector('svg[data-edge-id=e2] path')).strokeDasharray"
    )
    assert dash not in ("", "none")
    save(page, "Saved as version 2")

    page.reload()
    page.wait_for_selector("#editor[data-ready=true]")
    assert "kind-fallback" in edge(page, "e2").get_attribute("class")
    assert "kind-data" in edge(page, "e1").get_attribute("class")
    click_edge(page, "e2")
    assert page.get_by_test_id("edge-kind").input_value() == "fallback"
    assert page.locator("#wfe-edge-label").input_value() == "on timeout"
    edges = {e["id"]: e for e in api_document(page, wf.pk)["document"]["edges"]}
    assert edges["e2"]["kind"] == "fallback" and edges["e2"]["label"] == "on timeout"
    assert edges["e1"]["kind"] == "data" and edges["e3"]["kind"] == "data"


def test_labels_are_text_never_markup(page, personas):
    wf = make_workflow(
        personas,
        [
            node("in", "user_input", XSS, 40, 80),
            node("llm", "llm_call", "Answer", 340, 80, vendor="<script>alert(3)</script>"),
        ],
        [{"id": "e1", "from": "in", "to": "llm", "label": "<svg onload=alert(4)>"}],
        name="<b>Bold</b> workflow",
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, PAT)
    open_editor(page, wf.pk)
    assert card(page, "in").locator(".wf-card-label").inner_text() == XSS
    assert page.locator(".drawflow img, .wfe img, .drawflow script").count() == 0
    card(page, "in").click()
    assert page.locator("#wfe-label").input_value() == XSS
    card(page, "llm").click()
    assert page.get_by_label("Vendor").input_value() == "<script>alert(3)</script>"
    click_edge(page, "e1")
    assert page.locator("#wfe-edge-label").input_value() == "<svg onload=alert(4)>"

    # A label typed in the editor is text too, before and after saving.
    card(page, "llm").click()
    page.fill("#wfe-label", '<b onmouseover="alert(2)">x</b>')
    assert card(page, "llm").locator(".wf-card-label").inner_text() == '<b onmouseover="alert(2)">x</b>'
    save(page, "Saved as version 2")
    page.reload()
    page.wait_for_selector("#editor[data-ready=true]")
    card(page, "llm").hover()
    assert card(page, "llm").locator(".wf-card-label").inner_text() == '<b onmouseover="alert(2)">x</b>'
    assert card(page, "in").locator(".wf-card-label").inner_text() == XSS
    assert page.locator(".wfe b, .wfe img, .wfe script, .drawflow svg svg").count() == 0
    page.wait_for_timeout(300)  # give a stray onerror handler the chance to fire
    assert dialogs == []


def test_conflicting_save_keeps_the_edits_on_screen(page, personas):
    wf = make_workflow(
        personas,
        [node("a", "user_input", "Question", 40, 80), node("b", "llm_call", "Answer", 340, 80)],
        [{"id": "e1", "from": "a", "to": "b"}],
    )
    sign_in(page, PAT)
    open_editor(page, wf.pk)
    other = page.context.new_page()  # the same user in a second tab
    open_editor(other, wf.pk)

    card(page, "b").click()
    page.fill("#wfe-label", "Answer (first tab)")
    save(page, "Saved as version 2")

    card(other, "b").click()
    other.fill("#wfe-label", "Answer (second tab)")
    other.get_by_test_id("save").click()
    other.wait_for_function(
        "() => document.querySelector('[data-testid=editor-status]').classList.contains('is-error')"
    )
    message = status_text(other)
    assert "version" in message.lower() and "not saved" in message
    assert card(other, "b").locator(".wf-card-label").inner_text() == "Answer (second tab)"
    assert other.locator("#wfe-label").input_value() == "Answer (second tab)"
    assert other.get_by_test_id("dirty-indicator").inner_text() == "Unsaved changes"
    assert other.get_by_test_id("head-version").inner_text() == "v1"
    with other.expect_download() as download:
        other.get_by_test_id("download-mine").click()
    mine = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [n["label"] for n in mine["nodes"]] == ["Question", "Answer (second tab)"]

    stored = api_document(page, wf.pk)
    assert stored["head_version"] == 2
    assert sorted(n["label"] for n in stored["document"]["nodes"]) == ["Answer (first tab)", "Question"]
    other.close()


def test_delete_a_step_and_a_connection_then_save(page, personas):
    wf = make_workflow(
        personas,
        [
            node("a", "user_input", "In", 40, 60),
            node("b", "input_validator", "Check", 300, 60),
            node("c", "llm_call", "Model", 560, 60),
            node("d", "response", "Out", 820, 200),
        ],
        [
            {"id": "e1", "from": "a", "to": "b"},
            {"id": "e2", "from": "b", "to": "c"},
            {"id": "e3", "from": "c", "to": "d"},
            {"id": "e4", "from": "a", "to": "d", "kind": "escalation"},
        ],
    )
    sign_in(page, PAT)
    open_editor(page, wf.pk)
    assert page.locator("svg.connection").count() == 4
    assert page.get_by_test_id("graph-counts").inner_text() == "4 steps · 4 connections"

    card(page, "c").click()
    assert "Evidences no PSF domain" in page.get_by_test_id("step-domains").inner_text()
    card(page, "b").click()
    assert "PSF-1" in page.get_by_test_id("step-domains").inner_text()
    card(page, "c").click()
    page.keyboard.press("Delete")
    assert card(page, "c").count() == 0
    assert page.locator("svg.connection").count() == 2  # e2 and e3 went with the step

    click_edge(page, "e1")
    assert page.get_by_test_id("edge-kind").input_value() == "data"
    page.get_by_test_id("delete-selection").click()
    assert edge(page, "e1").count() == 0
    assert page.get_by_test_id("graph-counts").inner_text() == "3 steps · 1 connection"

    page.get_by_role("button", name="Auto-layout").click()
    save(page, "Saved as version 2")
    doc = api_document(page, wf.pk)["document"]
    assert sorted(n["id"] for n in doc["nodes"]) == ["a", "b", "d"]
    assert [(e["id"], e["from"], e["to"], e["kind"]) for e in doc["edges"]] == [
        ("e4", "a", "d", "escalation")
    ]
    page.reload()
    page.wait_for_selector("#editor[data-ready=true]")
    assert page.locator(".drawflow-node").count() == 3
    assert "kind-escalation" in edge(page, "e4").get_attribute("class")


def test_refused_save_lists_the_problems_and_zoom_controls(page, personas):
    wf = make_workflow(
        personas,
        [node("a", "llm_call", "Draft", 40, 80), node("b", "output_validator", "Check", 340, 80)],
        [{"id": "e1", "from": "a", "to": "b"}],
    )
    sign_in(page, PAT)
    open_editor(page, wf.pk)
    assert page.get_by_test_id("zoom-level").inner_text() == "100%"
    page.get_by_role("button", name="Zoom in").click()
    assert page.get_by_test_id("zoom-level").inner_text() == "120%"
    page.get_by_role("button", name="Reset zoom to 100%").click()
    assert page.get_by_test_id("zoom-level").inner_text() == "100%"
    transform = lambda: page.evaluate("() => document.querySelector('#wfe-canvas .drawflow').style.transform")  # noqa: E731
    before = transform()
    x, y = centre(page.get_by_test_id("canvas"))
    page.mouse.move(x, y + 150)
    page.mouse.wheel(0, 120)  # the wheel pans
    assert transform() != before and page.get_by_test_id("zoom-level").inner_text() == "100%"
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)  # Ctrl + wheel zooms around the pointer
    page.keyboard.up("Control")
    assert page.get_by_test_id("zoom-level").inner_text() != "100%"
    before = transform()
    page.mouse.move(x, y + 150)
    page.mouse.down()  # dragging the background pans
    page.mouse.move(x - 80, y + 100, steps=4)
    page.mouse.up()
    assert transform() != before
    page.get_by_role("button", name="Fit").click()

    # A data connection back from b to a closes a loop: the panel warns, the server refuses it.
    card(page, "b").click()
    page.select_option("#wfe-connect-target", label="Draft (a)")
    page.get_by_test_id("connect").click()
    assert page.get_by_test_id("edge-kind").input_value() == "data"
    assert page.get_by_text("closes a loop of data connections").is_visible()
    card(page, "a").click()
    page.fill("#wfe-label", "")
    assert page.get_by_text("A step needs a label.").is_visible()
    page.get_by_test_id("save").click()
    errors = page.get_by_test_id("save-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "nodes[0].label" in text and "Step “a” (a)" in text
    assert page.get_by_test_id("head-version").inner_text() == "v1"
    assert page.get_by_test_id("dirty-indicator").inner_text() == "Unsaved changes"

    page.fill("#wfe-label", "Draft")
    save(page, "refused")  # the loop is still there
    assert "edges" in page.get_by_test_id("save-errors").inner_text()
    click_edge(page, "e2")
    page.get_by_test_id("edge-kind").select_option("escalation")
    save(page, "Saved as version 2")
    edges = {e["id"]: e["kind"] for e in api_document(page, wf.pk)["document"]["edges"]}
    assert edges == {"e1": "data", "e2": "escalation"}


def test_a_template_workflow_opens_with_every_step_and_connection(page, personas):
    from studio.format import parse_document
    from studio.selectors import version_get
    from studio.services import workflow_from_template

    wf = workflow_from_template(organisation=personas.acme, author=personas.pat, slug="support-agent-tools")
    doc = parse_document(version_get(workflow=wf).document)
    sign_in(page, PAT)
    open_editor(page, wf.pk)
    assert page.locator(".drawflow-node").count() == len(doc.nodes)
    assert page.locator("svg.connection").count() == len(doc.edges)
    for kind in ("data", "fallback", "escalation"):
        assert page.locator(f"svg.connection.kind-{kind}").count() == sum(e.kind == kind for e in doc.edges)
    assert (
        page.get_by_test_id("graph-counts").inner_text()
        == f"{len(doc.nodes)} steps · {len(doc.edges)} connections"
    )
    first = doc.nodes[0]
    assert card(page, first.id).locator(".wf-card-label").inner_text() == first.label
