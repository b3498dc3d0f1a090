"""Shared fixtures: the rubric in every test database, and named personas.

Personas (from the demo seeder, which is also what `make run` creates):
- alice: Acme AI organisation admin      - pat: Acme AI practitioner
- gus: Globex practitioner (the outsider) - mia: adviser (MSP) in both organisations
- ada: platform assessor                  - root: platform admin
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client


def pytest_configure(config: pytest.Config) -> None:
    # SQLite in WAL mode leaves -wal/-shm files beside the test database; a stale pair next to a
    # freshly created file makes SQLite fail with "disk I/O error", so clear them first.
    if not config.pluginmanager.hasplugin("django"):
        return  # pure tests run with -p no:django must not touch a database another run uses
    from django.conf import settings

    from tests.production_stack import ENABLED

    if ENABLED:
        # The production stack checks the passwords this process sets: use production's hashers,
        # not the fast test-only MD5 one it does not accept.
        from django.conf import global_settings
        from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

        settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
        get_hashers.cache_clear()
        get_hashers_by_algorithm.cache_clear()
    name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if name and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        from psf.maturity import PAI8_PATH
        from psf.rubric import CURRENT_RUBRIC_PATH
        from psf.services import rubric_load

        rubric_load(path=CURRENT_RUBRIC_PATH)
        rubric_load(path=PAI8_PATH)


@pytest.fixture
def rubric_version(db):  # type: ignore[no-untyped-def]
    """The current PSF v1.1 version (reloaded when a transactional test flushed it, with PAI-8)."""
    from psf.maturity import PAI8_PATH
    from psf.rubric import CURRENT_RUBRIC_PATH
    from psf.selectors import pai8_version_get, rubric_version_current
    from psf.services import rubric_load

    if pai8_version_get() is None:
        rubric_load(path=PAI8_PATH)
    return rubric_version_current() or rubric_load(path=CURRENT_RUBRIC_PATH).version


@dataclass
class Personas:
    alice: object
    pat: object
    gus: object
    mia: object
    ada: object
    root: object
    acme: object
    globex: object


@pytest.fixture
def personas(db, rubric_version) -> Personas:  # type: ignore[no-untyped-def]
    from accounts import demo
    from accounts.models import Organisation, User

    demo.seed([])
    u = {x.email.split("@")[0]: x for x in User.objects.all()}
    return Personas(
        alice=u["alice"],
        pat=u["pat"],
        gus=u["gus"],
        mia=u["mia"],
        ada=u["ada"],
        root=u["root"],
        acme=Organisation.objects.get(slug="acme-ai"),
        globex=Organisation.objects.get(slug="globex"),
    )


@pytest.fixture
def client_for() -> Callable[[object | None], Client]:
    """A fresh test client signed in as the given user (None: anonymous)."""

    def make(user: object | None) -> Client:
        c = Client()
        if user is not None:
            c.force_login(user)  # type: ignore[arg-type]
        return c

    return make


@pytest.fixture(scope="session")
def production_stack(django_db_setup, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    """gunicorn + Celery worker + beat in production mode on this run's test database (see
    tests/production_stack.py); skipped unless WORKFLOWOS_TEST_PRODUCTION=1."""
    from tests.production_stack import ENABLED, start_stack

    if not ENABLED:
        pytest.skip("production-mode tests run with WORKFLOWOS_TEST_PRODUCTION=1 (make prod-check)")
    from django.conf import settings

    from tests.simulations.worker import database_url

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql") or not settings.REDIS_URL:
        pytest.fail("WORKFLOWOS_TEST_PRODUCTION=1 needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    with django_db_blocker.unblock():
        url = database_url()
    yield from start_stack(
        database_url=url,
        redis_url=settings.REDIS_URL,
        var_dir=tmp_path_factory.mktemp("production"),
        keys_dir=settings.SIGNING_KEYS_DIR,
    )
