"""Every HTML page of the access matrices carries a strict Content-Security-Policy, and no page
holds what that policy would refuse (inline scripts, event-handler or style attributes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

# The matrices' object fixtures, imported so that this module can use them by name.
from tests.assessments.test_access_matrix import ROWS as ASSESSMENT_ROWS
from tests.assessments.test_access_matrix import acme_assessments  # noqa: F401
from tests.evidence.test_access_matrix import ROWS as EVIDENCE_ROWS
from tests.evidence.test_access_matrix import objects  # noqa: F401
from tests.governance.test_access_matrix import CSP_ROWS as GOVERNANCE_ROWS
from tests.governance.test_access_matrix import governance_objects  # noqa: F401
from tests.msp.test_launchpack_access_matrix import ROWS as LAUNCHPACK_ROWS
from tests.msp.test_launchpack_access_matrix import launchpack_objects  # noqa: F401
from tests.notify.test_access_matrix import ROWS as NOTIFY_ROWS
from tests.notify.test_access_matrix import notify_objects  # noqa: F401
from tests.simulations.test_access_matrix import ROWS as SIMULATION_ROWS
from tests.simulations.test_access_matrix import sim_objects  # noqa: F401
from tests.test_access_matrix import ROWS as CORE_ROWS
from tests.test_access_matrix import acme_objects  # noqa: F401
from tests.trustmarks.test_access_matrix import ROWS as TRUSTMARK_ROWS
from tests.trustmarks.test_access_matrix import tm_objects  # noqa: F401

from .access import persona_users

pytestmark = pytest.mark.django_db

MATRICES = {
    "core+studio": (CORE_ROWS, "acme_objects"),
    "assessments": (ASSESSMENT_ROWS, "acme_assessments"),
    "evidence": (EVIDENCE_ROWS, "objects"),
    "simulations": (SIMULATION_ROWS, "sim_objects"),
    "trustmarks": (TRUSTMARK_ROWS, "tm_objects"),
    "launch packs": (LAUNCHPACK_ROWS, "launchpack_objects"),
    "notify": (NOTIFY_ROWS, "notify_objects"),
    "governance": (GOVERNANCE_ROWS, "governance_objects"),
}
EXTRA_PAGES = [
    ("anonymous", "/no-such-page/"),  # the branded 404
    ("anonymous", "/admin/login/"),
    ("admin", "/admin/accounts/user/"),
    ("admin", "/admin/accounts/user/add/"),
]
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")


def policy(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def strictness_problems(response: Any) -> list[str]:
    header = response.get("Content-Security-Policy")
    if not header:
        return ["no Content-Security-Policy header"]
    p = policy(header)
    problems = []
    for directive, want in (
        ("default-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
        ("form-action", ["'self'"]),
    ):
        if p.get(directive) != want:
            problems.append(f"{directive} is {p.get(directive)}, want {want}")
    for directive in ("default-src", "script-src", "style-src", "img-src", "connect-src", "font-src"):
        for source in p.get(directive, []):
            if source in UNSAFE or source.startswith(("http:", "https:")):
                problems.append(f"{directive} allows {source}")
    if set(p.get("img-src", ["'self'"])) - {"'self'", "data:"}:
        problems.append(f"img-src is {p['img-src']}")
    return problems


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
_STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


def markup_problems(html: str) -> list[str]:
    problems = []
    for name, pattern in (
        ("an inline <script>", _INLINE_SCRIPT),
        ("an inline event handler", _HANDLER),
        ("a style attribute", _STYLE_ATTR),
    ):
        m = pattern.search(html)
        if m:
            problems.append(f"{name}: {html[m.start() : m.start() + 120]!r}")
    if re.search(r"<style[\s>]", html, re.I):
        problems.append("an inline <style> element")
    return problems


def _check(client: Any, url: str) -> tuple[bool, list[str]]:
    resp = client.get(url)
    if not resp.get("Content-Type", "").startswith("text/html"):
        return False, []
    problems = strictness_problems(resp) + markup_problems(resp.content.decode())
    return True, [f"{url}: {p}" for p in problems]


@pytest.mark.parametrize("matrix", list(MATRICES))
def test_every_html_page_of_the_matrix_has_a_strict_policy(
    matrix: str, request: pytest.FixtureRequest, personas: Any, client_for: Callable[..., Any]
):
    rows, fixture = MATRICES[matrix]
    objs = request.getfixturevalue(fixture)
    users = persona_users(personas)
    failures: list[str] = []
    pages = 0
    for row in rows:
        method, url, expected = row[0], row[1], row[2]
        if method != "GET":
            continue
        for persona, want in expected.items():
            if want != 200:
                continue
            is_html, problems = _check(client_for(users[persona]), url.format(**objs))
            pages += is_html
            failures += problems
    assert pages, f"no HTML page in the {matrix} matrix"
    assert not failures, "\n".join(failures)


def test_error_pages_and_the_admin_have_a_strict_policy(personas: Any, client_for: Callable[..., Any]):
    users = persona_users(personas)
    failures: list[str] = []
    for persona, url in EXTRA_PAGES:
        is_html, problems = _check(client_for(users[persona]), url)
        assert is_html, url
        failures += problems
    assert not failures, "\n".join(failures)


def test_api_docs_script_is_served_from_a_url_not_inline(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert not strictness_problems(page)
    script = re.search(r'<script src="([^"]*script[^"]*)"', page.content.decode())
    assert script, "the Swagger start-up script is not a separate URL"
    js = client.get(script.group(1).replace("&amp;", "&"))
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()


def test_the_checks_catch_what_they_look_for():
    assert markup_problems('<p style="color:red">')
    assert markup_problems("<script>alert(1)</script>")
    assert markup_problems('<select onchange="x()">')
    assert markup_problems("<style>p{}</style>")
    assert not markup_problems(
        '<script src="/static/a.js"></script><script type="application/json">{}</script>'
    )
    assert not markup_problems('<p data-style="x" class="onx">')
    assert policy("default-src 'self'; object-src 'none'") == {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
    }


def test_no_template_holds_inline_style_script_or_handlers():
    """Templates served as pages (not templates/pdf/, which WeasyPrint renders) hold nothing the
    policy refuses, in any branch: the pages above only show the branches their data took."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "templates"
    failures = []
    for path in sorted(root.rglob("*.html")):
        if path.relative_to(root).parts[0] in ("pdf", "emails"):
            continue
        text = path.read_text()
        for name, pattern in (
            ("style attribute", re.compile(r"\sstyle\s*=", re.I)),
            ("<style> element", re.compile(r"<style[\s>]", re.I)),
            ("inline <script>", _INLINE_SCRIPT),
            ("event handler", re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)),
        ):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                failures.append(f"{path.relative_to(root)}:{line}: {name}")
    assert not failures, "\n".join(failures)
