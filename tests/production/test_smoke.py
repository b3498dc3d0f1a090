"""HTTP smoke set against the production stack (gunicorn + worker + beat, DJANGO_ENV=production):
every page a visitor or a signed-in persona can reach by following links answers 200 with its
stylesheets; unknown pages get the branded 404; nothing shows Django's technical pages."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.production_stack import PROXY_HEADERS

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]

# Links a crawler must not follow: they change state, download files or leave the site.
SKIP = re.compile(
    r"/sign-out/|/logout|/download|\.pdf$|\.zip$|\.svg$|\.png$|\.json$|\.csv$|\.jsonl|/export|"
    r"format=|/admin/|/api/|/static/|/\.well-known/|/healthz"
)
TECHNICAL = ("Traceback", "URLconf", "DEBUG = True", "Using the URLconf", "Exception Value")
MAX_PAGES = 60


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.styles.append(a["href"] or "")


class _ProxiedSession(requests.Session):
    """A client behind the (simulated) TLS proxy. The server marks its cookies Secure; the proxy
    would carry them over HTTPS, so this client sends them back over the loopback HTTP hop."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        for cookie in self.cookies:
            cookie.secure = False
        return super().request(*args, **kwargs)


def _session(url: str) -> requests.Session:
    s = _ProxiedSession()
    s.headers.update({**PROXY_HEADERS, "Origin": url})
    return s


def _sign_in(s: requests.Session, url: str, email: str, password: str) -> None:
    page = s.get(f"{url}/accounts/sign-in/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    r = s.post(
        f"{url}/accounts/sign-in/",
        data={"csrfmiddlewaretoken": token.group(1), "email": email, "password": password},
        headers={"Referer": f"{url}/accounts/sign-in/"},
        timeout=30,
        allow_redirects=False,
    )
    assert r.status_code == 302, f"sign-in as {email}: {r.status_code} {r.text[:300]}"


def _crawl(s: requests.Session, url: str, start: list[str]) -> dict[str, int]:
    """Breadth-first over same-site links; returns {path: status} and checks each page's CSS."""
    seen: dict[str, int] = {}
    css_ok: dict[str, bool] = {}
    queue = deque(start)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        r = s.get(url + path, timeout=60, allow_redirects=False)
        seen[path] = r.status_code
        if r.status_code != 200 or "text/html" not in r.headers.get("Content-Type", ""):
            continue
        assert not any(t in r.text for t in TECHNICAL), f"{path} shows Django internals"
        parser = _Links()
        parser.feed(r.text)
        assert parser.styles, f"{path} links no stylesheet"
        for href in parser.styles:
            if href not in css_ok:
                css = s.get(urljoin(url + path, href), timeout=30)
                css_ok[href] = css.status_code == 200 and "text/css" in css.headers.get("Content-Type", "")
            assert css_ok[href], f"{path}: stylesheet {href} does not load"
        for href in parser.links:
            target = urlsplit(urljoin(url + path, href))
            if target.netloc != urlsplit(url).netloc or SKIP.search(target.path + "?" + target.query):
                continue
            nxt = target.path + (f"?{target.query}" if target.query else "")
            if nxt not in seen:
                queue.append(nxt)
    return seen


@pytest.fixture
def seeded(production_stack: Any, settings: Any, rubric_version: Any) -> Any:
    """The demo organisations, people, workflows, assessments and marks, as `make run` has them."""
    from django.core.management import call_command

    settings.PUBLIC_URL = production_stack.url
    call_command("seed_demo", verbosity=0)
    return production_stack


def test_public_pages_answer_200_with_css_and_unknown_pages_the_branded_404(seeded: Any) -> None:
    from trustmarks.models import TrustMark

    url = seeded.url
    s = _session(url)
    mark = TrustMark.objects.order_by("pk").first()
    assert mark is not None
    seen = _crawl(s, url, ["/", "/psf/", f"/verify/{mark.mark_id}"])
    bad = {p: c for p, c in seen.items() if c != 200 and not (300 <= c < 400)}
    assert not bad, f"public pages not answering 200: {bad}"
    assert len(seen) >= 10, seen

    for path in ("/no-such-page/", "/verify/TM-99999", "/studio/999999/"):
        r = s.get(url + path, timeout=30, allow_redirects=False)
        assert r.status_code in (404, 302), (path, r.status_code)
        if r.status_code == 404:
            assert "Page not found" in r.text
            assert not any(t in r.text for t in TECHNICAL)
            assert '<link rel="stylesheet"' in r.text

    api = s.get(f"{url}/api/certify/trust-mark/verify?id={mark.mark_id}", timeout=30)
    assert api.status_code == 200
    assert api.json()["valid"] is True
    admin = s.get(f"{url}/admin/login/", timeout=30)
    assert admin.status_code == 200
    assert s.get(f"{url}/api/docs/", timeout=30).status_code == 200


PERSONAS = [
    "pat@acme.example",
    "alice@acme.example",
    "mia@msp.example",
    "ada@workflowos.example",
    "root@workflowos.example",
]


def test_every_page_each_persona_reaches_answers_200_with_css(seeded: Any) -> None:
    from django.conf import settings

    url = seeded.url
    for email in PERSONAS:  # one seeding for all personas: the pages only read
        s = _session(url)
        _sign_in(s, url, email, settings.DEMO_PASSWORD)
        seen = _crawl(s, url, ["/dashboard/"])
        bad = {p: c for p, c in seen.items() if c >= 400}
        assert not bad, f"{email}: pages answering an error: {bad}"
        assert len(seen) >= 5, (email, seen)
