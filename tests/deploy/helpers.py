"""Running ``manage.py`` in a subprocess with production settings, as the image does."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Variables of the developer's or CI's shell that must not leak into a production-mode child.
_DROP = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_ENV",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "WORKFLOWOS_SIGNING_KEYS",
    "WORKFLOWOS_KEYS_DIR",
    "WORKFLOWOS_VAR_DIR",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "LOG_FORMAT",
}


def random_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(60))


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process whose state lives under ``var_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env.update(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": random_secret_key(),
            "ALLOWED_HOSTS": "localhost",
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "WORKFLOWOS_VAR_DIR": str(var_dir),
        }
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
