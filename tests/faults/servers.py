"""Real processes for the fault tests: a Redis server, a PostgreSQL cluster, a gunicorn web server
and Celery workers, each on a port of its own (18300-18399), never the machine's shared Redis
and PostgreSQL. Every class stops what it started; the tests call ``stop`` in a ``finally``.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to the
``postgres`` user (``runuser -u postgres``), in a temporary folder that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SECRET_KEY = "fault-tests-" + "k" * 60  # the same for web and workers (sessions, signed values)
START_TIMEOUT = 90.0


def _bin(name: str) -> str:
    path = BIN / name
    return str(path if path.exists() else Path(sys.executable).with_name(name))


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(
    what: str, check: Callable[[], Any], timeout: float, log: Callable[[], str] | None = None
) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{log() if log else ''}")


class Logged:
    """A subprocess whose output goes to a file (read back when a test fails)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path, **kw: Any) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, **kw
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, chars: int = 6000) -> str:
        self.log.flush()
        return f"--- {self.name} ---\n" + self.log_path.read_text(errors="replace")[-chars:]

    def kill(self) -> None:
        """SIGKILL the process and everything it started (a prefork pool's children too)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        if not self.log.closed:
            self.log.close()


# --- Redis ---------------------------------------------------------------------------------------


class RedisServer:
    """``redis-server`` on ``port``, without persistence: stopping it loses every message, as a
    crashed or replaced Redis would."""

    def __init__(self, port: int, work: Path) -> None:
        self.port = port
        self.work = work
        self.url = f"redis://127.0.0.1:{port}/0"
        self.server: Logged | None = None
        self.starts = 0

    def start(self) -> RedisServer:
        assert not port_open(self.port), f"port {self.port} is taken"
        self.starts += 1
        self.server = Logged(
            f"redis-{self.starts}",
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work),
            ],
            dict(os.environ),
            self.work,
        )
        wait_until(f"redis on {self.port}", lambda: port_open(self.port), 20, self.server.tail)
        return self

    def hang(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted by the kernel but never answered."""
        assert self.server is not None
        os.killpg(self.server.pid, signal.SIGSTOP)

    def stop(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server.log.close()
            wait_until(f"redis on {self.port} to go", lambda: not port_open(self.port), 20)

    def tail(self) -> str:
        return self.server.tail() if self.server else ""


# --- PostgreSQL ----------------------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise AssertionError(f"no PostgreSQL {name} under /usr/lib/postgresql/*/bin")
    return found[-1]


class PostgresCluster:
    """A throw-away PostgreSQL cluster (initdb) on ``port``, trust authentication, fsync off, in a
    folder of its own under the system temporary folder (which the postgres user can reach)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.work = Path(tempfile.mkdtemp(prefix=f"wfos-pg-{port}-"))
        self.data = self.work / "pgdata"
        self.logfile = self.work / "postgres.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.work, owner.pw_uid, owner.pw_gid)

    def _run(self, *args: str, timeout: float = 120) -> str:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")
        if out.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed:\n{out.stdout}\n{out.stderr}\n{self.tail()}")
        return out.stdout

    def init(self) -> PostgresCluster:
        assert not port_open(self.port), f"port {self.port} is taken"
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()
        self._run(
            _pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "workflowos"
        )
        return self

    def url(self, name: str = "workflowos") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.work} -c fsync=off -c full_page_writes=off"
        self._run(
            _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-o", opts, "-w", action, *extra
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(AssertionError):
                self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.work, ignore_errors=True)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(), connect_timeout=5, autocommit=True) as conn:
            return list(conn.execute(sql).fetchall())

    def tail(self) -> str:
        try:
            return "--- postgres ---\n" + self.logfile.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


# --- the application -----------------------------------------------------------------------------


def app_env(work: Path, *, database_url: str, redis_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of a web or worker process of the instance under test."""
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "WORKFLOWOS_VAR_DIR": str(work / "var"),
        "MEDIA_ROOT": str(work / "media"),
        "WORKFLOWOS_KEYS_DIR": str(work / "keys"),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
        **extra,
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if out.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def shell_json(env: dict[str, str], code: str, timeout: float = 180) -> Any:
    """Run ``code`` in ``manage.py shell``; it prints one JSON line starting with ``RESULT``."""
    out = manage(env, "shell", "-c", code, timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, out
    return json.loads(lines[-1][len("RESULT ") :])


class Web:
    """gunicorn serving the app on ``port``."""

    def __init__(self, port: int, env: dict[str, str], log_dir: Path) -> None:
        assert not port_open(port), f"port {port} is taken"
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.server = Logged(
            f"web-{port}",
            [
                _bin("gunicorn"),
                "workflowos.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            env,
            log_dir,
        )
        wait_until(f"gunicorn on {port}", self._up, START_TIMEOUT, self.server.tail)

    def _up(self) -> bool:
        if not self.server.alive():
            raise AssertionError(f"gunicorn exited:\n{self.server.tail()}")
        return port_open(self.port)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str = "",
        body: Any = None,
        form: dict[str, str] | None = None,
        timeout: float = 60,
        **headers: str,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request: a JSON ``body`` or a ``form``; header names with ``_`` for ``-``."""
        req = urllib.request.Request(self.base + path, method=method)
        if form is not None:
            req.data = urllib.parse.urlencode(form).encode()
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None or method == "POST":
            req.data = json.dumps(body).encode() if body is not None else b""
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Token {token}")
        for name, value in headers.items():
            req.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def json(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        status, _headers, body = self.request(method, path, **kw)
        return status, json.loads(body) if body else None

    def stop(self) -> None:
        self.server.stop()


class CeleryWorker:
    """``celery -A workflowos worker`` (solo pool unless told otherwise), optionally with beat."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        log_dir: Path,
        *,
        pool: str = "solo",
        beat: bool = False,
    ) -> None:
        self.hostname = f"{name}@faults"
        args = [
            _bin("celery"),
            "-A",
            "workflowos",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            "--loglevel=INFO",
            f"--hostname={self.hostname}",
            "--without-gossip",
            "--without-mingle",
        ]
        if beat:
            args += ["-B", f"--schedule={log_dir / (name + '-beat-schedule')}"]
        self.process = Logged(f"worker-{name}", args, env, log_dir)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.alive()

    def wait_ready(self) -> CeleryWorker:
        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"the worker exited:\n{self.tail()}")
            return f"{self.hostname} ready" in self.process.log_path.read_text(errors="replace")

        wait_until(f"worker {self.hostname}", ready, START_TIMEOUT, self.tail)
        return self

    def tail(self, chars: int = 6000) -> str:
        return self.process.tail(chars)

    def kill(self) -> None:
        self.process.kill()

    def stop(self) -> None:
        self.process.stop()
