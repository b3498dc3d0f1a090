"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from tests.production_stack import ENABLED

    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if ENABLED:
                # The production stack's processes only see what the test commits.
                item.add_marker(pytest.mark.django_db(transaction=True), append=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    )
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def server_url(request: pytest.FixtureRequest) -> str:
    """Where the browser goes: Django's live server, or with WORKFLOWOS_TEST_PRODUCTION=1 the
    production stack (gunicorn, worker, beat) on the same test database."""
    from tests.production_stack import ENABLED

    if not ENABLED:
        return str(request.getfixturevalue("live_server").url)
    if request.node.get_closest_marker("local_server"):
        pytest.skip("drives the test process's own server or worker, not the production stack")
    request.getfixturevalue("transactional_db")  # the stack's processes must see committed data
    from django.core.cache import cache

    cache.clear()  # the stack shares this Redis: no throttle or cached page carries over
    url = str(request.getfixturevalue("production_stack").url)
    request.getfixturevalue("settings").PUBLIC_URL = url
    return url


@pytest.fixture
def outbox(request: pytest.FixtureRequest) -> Any:
    """``outbox()`` lists what was e-mailed, by this process or by the production stack."""
    from tests.production_stack import ENABLED, sent_mail

    stack = request.getfixturevalue("production_stack") if ENABLED else None
    return lambda: sent_mail(stack)


@pytest.fixture
def page(browser: Any, server_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    from tests.production_stack import ENABLED, PROXY_HEADERS

    ctx = browser.new_context(
        base_url=server_url,
        viewport={"width": 1280, "height": 860},
        extra_http_headers=PROXY_HEADERS if ENABLED else None,
    )
    ctx.set_default_timeout(15_000)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # Every browser test also proves the pages keep to the Content-Security-Policy.
    csp: list[str] = []
    pg.on(
        "console",
        lambda msg: (
            csp.append(f"{pg.url}: {msg.text}")
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.suppress(Exception):  # a screenshot is a convenience, never a failure
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not csp, f"Content-Security-Policy violations: {csp}"


def sign_in(page: Any, email: str, password: str | None = None) -> None:
    from django.conf import settings

    page.goto("/accounts/sign-in/")
    page.fill("#id_email", email)
    page.fill("#id_password", password or settings.DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
