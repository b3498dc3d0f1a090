"""Benchmark of the graph editor page: how long until a 1,000-step / 1,500-connection workflow is
interactive in headless Chromium (steps rendered, Save enabled: ``#editor[data-ready=true]``).

Run: ``.venv/bin/python bench/editor_page.py [--loads N] [--nodes N] [--edges N]``.

Self-contained: a throw-away SQLite database under a temporary WORKFLOWOS_VAR_DIR (migrated, the
rubric and the demo users loaded), the workflow created through the studio services, Django's
``runserver --noreload`` on a free port, and Debian's Chromium driven by Playwright. Every load
uses a fresh browser context (cold HTTP cache). Prints the median of the loads against the 2 s
target from issue 3 (until the first frame with the graph is painted), for a workflow with saved positions and for one without (laid out in the
browser). Everything it started or wrote is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TARGET_S = 2.0
EMAIL = "pat@acme.example"

# One lane is a realistic guarded LLM pipeline; lanes are cross-linked by escalation edges.
LANE = [
    ("user_input", "Customer message"),
    ("rate_limiter", "Rate limiter"),
    ("input_validator", "Input validator"),
    ("injection_filter", "Prompt-injection filter"),
    ("pii_redactor", "PII redactor"),
    ("retrieval_source", "Knowledge base"),
    ("retrieval", "Retrieve passages"),
    ("fallback_router", "Vendor router"),
    ("circuit_breaker", "Timeout"),
    ("llm_call", "Draft answer"),
    ("output_validator", "Schema check"),
    ("content_filter", "Content filter"),
    ("human_review", "Agent review"),
    ("authorization_check", "Tool authorisation"),
    ("tool_call", "CRM update"),
    ("audit_log", "Audit log"),
    ("tracing", "Tracing"),
    ("alerting", "Alerting"),
    ("database_write", "Case record"),
    ("response", "Reply"),
]


def big_document(n_nodes: int, n_edges: int, *, positions: bool) -> dict[str, Any]:
    """A valid workflowos.workflow/v1 document with exactly ``n_nodes`` steps and ``n_edges`` edges."""
    lanes = -(-n_nodes // len(LANE))
    nodes: list[dict[str, Any]] = []
    for lane in range(lanes):
        for step, (type_, label) in enumerate(LANE):
            if len(nodes) < n_nodes:
                config = (
                    {"vendor": "openai", "model": "gpt-4o", "model_version": "gpt-4o-2024-08-06"}
                    if type_ == "llm_call"
                    else {}
                )
                nodes.append(
                    {
                        "id": f"l{lane}_s{step}",
                        "type": type_,
                        "label": f"{label} #{lane + 1}",
                        "config": config,
                    }
                )
    ids = {n["id"] for n in nodes}
    edges: list[dict[str, Any]] = []

    def add(a: str, b: str, kind: str = "data") -> None:
        if len(edges) < n_edges and a in ids and b in ids:
            edges.append({"id": f"e{len(edges) + 1}", "from": a, "to": b, "kind": kind})

    for lane in range(lanes):  # the pipeline itself
        for step in range(1, len(LANE)):
            add(f"l{lane}_s{step - 1}", f"l{lane}_s{step}")
    for lane in range(lanes):  # skip connections (still acyclic)
        for step in range(0, len(LANE) - 2, 2):
            add(f"l{lane}_s{step}", f"l{lane}_s{step + 2}")
    for lane in range(lanes):  # escalation to the next lane's reviewer, fallback back to the router
        add(f"l{lane}_s9", f"l{(lane + 1) % lanes}_s12", "escalation")
        add(f"l{lane}_s9", f"l{lane}_s7", "fallback")
    step = 0
    while len(edges) < n_edges:  # top up with more skip connections if asked for more edges
        lane, s = divmod(step, len(LANE) - 3)
        add(f"l{lane % lanes}_s{s}", f"l{lane % lanes}_s{s + 3}")
        step += 1
    doc = {
        "name": f"Bench: {n_nodes} steps",
        "facts": {"personal_data": True, "stakes": "high", "audience": "external", "regulated": False},
        "nodes": nodes,
        "edges": edges,
    }
    if positions:
        from studio.format import parse_document
        from studio.layout import auto_layout

        return auto_layout(parse_document(doc)).to_data()
    return doc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not start")


def setup_django(var_dir: str, n_nodes: int, n_edges: int) -> tuple[int, int]:
    os.environ["WORKFLOWOS_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflowos.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from accounts import demo
    from accounts.models import Organisation, User
    from studio.format import parse_document
    from studio.services import workflow_create

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_rubric", verbosity=0)
    demo.seed([])
    org, user = Organisation.objects.get(slug="acme-ai"), User.objects.get(email=EMAIL)
    ids = []
    for positions in (True, False):
        doc = parse_document(big_document(n_nodes, n_edges, positions=positions))
        assert len(doc.nodes) == n_nodes and len(doc.edges) == n_edges
        ids.append(workflow_create(organisation=org, author=user, document=doc).pk)
    return ids[0], ids[1]


def measure(
    browser: Any, base: str, wf_id: int, password: str, loads: int, *, save: bool
) -> list[dict[str, float]]:
    ctx = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    page.goto("/accounts/sign-in/")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    cookies = ctx.cookies()
    ctx.close()
    rows = []
    for _ in range(loads):
        ctx = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})  # cold HTTP cache
        ctx.add_cookies(cookies)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        cold = load_once(page, f"/studio/{wf_id}/")
        warm = load_once(page, f"/studio/{wf_id}/")  # the same tab again: scripts and styles cached
        assert not errors, errors
        save_ms = float("nan")
        if save:  # unchanged, so every load still opens the same version
            t1 = time.perf_counter()
            page.get_by_test_id("save").click()
            page.wait_for_function(
                "() => /version/.test(document.querySelector('[data-testid=editor-status]').textContent) && !document.querySelector('[data-testid=save]').disabled",
                timeout=60_000,
            )
            save_ms = (time.perf_counter() - t1) * 1000
        rows.append({**cold, **{f"warm_{k}": v for k, v in warm.items()}, "save": save_ms})
        ctx.close()
    return rows


def load_once(page: Any, url: str) -> dict[str, float]:
    """Open the editor; times in ms from the start of navigation (the browser's own clock)."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector("#editor[data-ready=true]", timeout=60_000)
    # Two animation frames after ready: the first frame with the graph has been painted and the
    # main thread is free again, i.e. the page answers clicks.
    painted = page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"
    )
    wall = (time.perf_counter() - t0) * 1000
    timing = page.evaluate(
        r"""() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const ready = performance.getEntriesByName('wfe-ready')[0];
            const statics = performance.getEntriesByType('resource').filter(r => /\/static\/.*\.(css|js)$/.test(r.name));
            return {response: nav.responseEnd, ready: ready.startTime,
                    statics: Math.max(0, ...statics.map(r => r.responseEnd)),
                    nodes: document.querySelectorAll('.drawflow-node').length,
                    edges: document.querySelectorAll('svg.connection').length,
                    enabled: document.querySelector('[data-testid=save]').disabled ? 0 : 1};
        }"""
    )
    assert timing["enabled"] == 1, "Save is not enabled"
    return {**timing, "painted": painted, "wall": wall}


def report(title: str, rows: list[dict[str, float]]) -> bool:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    ok = med("painted") / 1000 <= TARGET_S
    print(
        f"\n{title}: {int(rows[0]['nodes'])} steps and {int(rows[0]['edges'])} connections (median of {len(rows)} loads)"
    )
    print(f"  {'ms from navigation start':42s} {'cold':>7s} {'warm':>7s}")
    print(f"  {'HTML received (server + transfer)':42s} {med('response'):7.0f} {med('warm_response'):7.0f}")
    print(f"  {'last static file received (CSS, JS)':42s} {med('statics'):7.0f} {med('warm_statics'):7.0f}")
    print(f"  {'editor ready (data-ready=true)':42s} {med('ready'):7.0f} {med('warm_ready'):7.0f}")
    print(
        f"  {'first frame painted, page answers input':42s} {med('painted'):7.0f} {med('warm_painted'):7.0f}   target {TARGET_S * 1000:.0f}  {'OK' if ok else 'TOO SLOW'}"
    )
    print(
        "  cold loads, painted: "
        + ", ".join(f"{r['painted']:.0f}" for r in rows)
        + "  (wall clock incl. Playwright: "
        + ", ".join(f"{r['wall']:.0f}" for r in rows)
        + ")"
    )
    if med("save") == med("save"):  # not NaN
        print(f"  Save from the editor (PUT, unchanged): {med('save'):.0f} ms")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--edges", type=int, default=1500)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"needs Debian's chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    var_dir = tempfile.mkdtemp(prefix="wfos-bench-editor-")
    server = None
    try:
        t = time.perf_counter()
        with_pos, without_pos = setup_django(var_dir, args.nodes, args.edges)
        print(f"set-up (migrate, rubric, users, 2 workflows): {time.perf_counter() - t:.1f} s")
        from django.conf import settings

        port = free_port()
        env = {
            **os.environ,
            "WORKFLOWOS_VAR_DIR": var_dir,
            "DJANGO_SETTINGS_MODULE": "workflowos.settings",
            "PYTHONUNBUFFERED": "1",
        }
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/accounts/sign-in/")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                ok = report(
                    "Saved positions",
                    measure(browser, base, with_pos, settings.DEMO_PASSWORD, args.loads, save=True),
                )
                ok &= report(
                    "No positions (laid out in the browser)",
                    measure(browser, base, without_pos, settings.DEMO_PASSWORD, args.loads, save=False),
                )
            finally:
                browser.close()
        return 0 if ok else 1
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
