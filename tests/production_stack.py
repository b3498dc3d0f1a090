"""The production configuration as CI runs it: `scripts/prod.sh` starts gunicorn, a Celery worker
and beat with DJANGO_ENV=production against the test run's PostgreSQL database and Redis, so the
browser and HTTP tests drive the same processes an operator runs.

Enabled by WORKFLOWOS_TEST_PRODUCTION=1 (`make prod-check` and `.ci/run` set it); it needs the test
run itself on PostgreSQL and Redis (DATABASE_URL, REDIS_URL).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENABLED = os.environ.get("WORKFLOWOS_TEST_PRODUCTION") == "1"
# Every request says it came through the TLS proxy, as the README's deployment has it.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@dataclass(frozen=True)
class Stack:
    url: str
    var_dir: Path
    env: dict[str, str]

    def log(self, name: str) -> str:
        path = self.var_dir / "log" / f"{name}.log"
        return path.read_text(errors="replace")[-6000:] if path.exists() else ""


@dataclass(frozen=True)
class SentMail:
    subject: str
    to: list[str]
    body: str = ""


def sent_mail(stack: Stack | None) -> list[SentMail]:
    """What was e-mailed: the test process's locmem outbox, or the stack's outbox files."""
    if stack is None:
        from django.core import mail

        return [SentMail(m.subject, list(m.to), str(m.body)) for m in mail.outbox]
    import email
    from email.header import decode_header, make_header

    found = []
    for path in sorted((stack.var_dir / "outbox").glob("*.log")):
        # The file backend appends messages separated by a line of 79 dashes.
        for chunk in path.read_text(errors="replace").split("-" * 79):
            if not chunk.strip():
                continue
            msg = email.message_from_string(chunk.strip())
            subject = str(make_header(decode_header(msg.get("Subject", ""))))
            payload = msg.get_payload(decode=True) if not msg.is_multipart() else b""
            body = payload.decode(msg.get_content_charset() or "utf-8", "replace") if payload else ""
            found.append(SentMail(subject, [a.strip() for a in msg.get("To", "").split(",")], body))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prod(env: dict[str, str], *args: str, timeout: float = 300) -> None:
    result = subprocess.run(
        ["bash", "scripts/prod.sh", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise AssertionError(f"scripts/prod.sh {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def start_stack(*, database_url: str, redis_url: str, var_dir: Path, keys_dir: Path) -> Iterator[Stack]:
    """Run `scripts/prod.sh setup` and `start` on a free port; stop the processes afterwards."""
    # A fixed port when several test runs share a machine and each keeps to its own range.
    port = int(os.environ.get("WORKFLOWOS_TEST_STACK_PORT") or 0) or _free_port()
    url = f"http://localhost:{port}"
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    # The test process (which seeds and changes marks) and the stack (which verifies them) run
    # under different public URLs, so each would derive a transparency-log key of its own name:
    # give both one explicit key, as an operator with several hosts under one URL effectively has.
    from trustmarks.tlog import KEY_ENV_VAR, generate_skey

    os.environ.setdefault(KEY_ENV_VAR, generate_skey(f"localhost:{port}/trust-marks/log"))
    env.update(
        {
            KEY_ENV_VAR: os.environ[KEY_ENV_VAR],
            # Tests flush and re-seed the database between runs; a witness copy kept outside it
            # would read that as a rolled-back log (as in the test settings, WITNESS_FILES off).
            "WORKFLOWOS_WITNESS_FILES": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            # The TLS proxy is simulated by X-Forwarded-Proto; the browser's Origin is still http.
            "CSRF_TRUSTED_ORIGINS": url,
            "WORKFLOWOS_PUBLIC_URL": url,
            "WORKFLOWOS_VAR_DIR": str(var_dir),
            "WORKFLOWOS_KEYS_DIR": str(keys_dir),
            "MEDIA_ROOT": str(var_dir / "files"),
            # Production's default is invite-only; the stack opens sign-up so the sign-up journey
            # (tests/e2e/test_signup_journey.py) runs against it too. Nothing else depends on it.
            "WORKFLOWOS_SIGNUP": "open",
            # Mail as files, so a browser test can read what the stack sent (see sent_mail()).
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(var_dir / "outbox"),
            "STATIC_ROOT": str(var_dir / "static"),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_WORKERS": "2",
            "WORKER_CONCURRENCY": "2",
            "SKIP_INSTALL": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    _prod(env, "setup")
    try:
        _prod(env, "start", timeout=120)
        yield Stack(url=url, var_dir=var_dir, env=env)
    finally:
        _prod(env, "stop", timeout=60)
