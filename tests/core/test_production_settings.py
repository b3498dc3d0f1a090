"""Production mode: refuses to start without a real SECRET_KEY; passes check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    drop = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PROD = {
    "DJANGO_ENV": "production",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "DATABASE_URL": "postgres://nobody@127.0.0.1:5432/unused",
    "ALLOWED_HOSTS": "workflowos.example.org",
}


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _run({**PROD, "WORKFLOWOS_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_a_weak_secret_key(tmp_path):
    result = _run(
        {**PROD, "SECRET_KEY": "django-insecure-short", "WORKFLOWOS_VAR_DIR": str(tmp_path)}, "check"
    )
    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    key = "k" * 10 + "Zq8!vT3#pL0@xN5$wR2%yU7^mB4&cE9*" + "s" * 20
    result = _run(
        {**PROD, "SECRET_KEY": key, "WORKFLOWOS_VAR_DIR": str(tmp_path)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_seed_demo_is_refused_in_production(tmp_path):
    key = "k" * 10 + "Zq8!vT3#pL0@xN5$wR2%yU7^mB4&cE9*" + "s" * 20
    result = _run({**PROD, "SECRET_KEY": key, "WORKFLOWOS_VAR_DIR": str(tmp_path)}, "seed_demo")
    assert result.returncode != 0
    assert "refused in production" in result.stderr
