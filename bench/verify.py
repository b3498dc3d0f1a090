"""Benchmark of the public verify endpoint against a bare Django JSON view, served the same way.

Run: ``.venv/bin/python bench/verify.py [--seconds 5] [--rounds 3] [--connections 32]``.

It creates a temporary PostgreSQL database (dropped at the end), migrates it, issues one trust
mark, starts gunicorn (2 workers, threads for keep-alive) with Redis as cache and rate-limit
store, then loads ``/api/certify/trust-mark/verify?id=TM-00142`` and the bare view
``/bench/bare`` in alternating rounds with a bounded asyncio load generator (N keep-alive
connections, closed loop). Prints throughput, p50 and p99 of each, the ratio, and the medians.
Targets (issue 6): ratio >= 0.7 and verify p99 <= 25 ms at 32 connections.

``--job-load`` (issue 11): the same verify load while a Celery worker (2 processes, beside the two
gunicorn workers on this 2-core machine) runs 40 simulations and 8 evidence exports queued just
before; prints verify p99 and the number of 5xx answers per round, and how many jobs were still
running. Target: p99 <= 100 ms and no 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_RATIO = 0.7
TARGET_P99_MS = 25.0
TARGET_P99_UNDER_LOAD_MS = 100.0
CELERY = str(ROOT / ".venv" / "bin" / "celery")


# --- load generator -----------------------------------------------------------------------------


class _Client(asyncio.Protocol):
    """One keep-alive connection in a closed loop: send, read the whole answer, send again.

    A bare protocol (no streams) keeps the load generator's own CPU use low on a small machine.
    """

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.buffer = b""
        self.started = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        self.started = time.perf_counter()
        if self.started >= self.run.stop_at:
            assert self.transport is not None
            self.transport.close()
            return
        assert self.transport is not None
        self.transport.write(self.run.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        at = head.find(b"content-length:")
        length = (
            int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
            if at >= 0
            else 0
        )
        if len(self.buffer) < end + 4 + length:
            return
        now = time.perf_counter()
        if self.started >= self.run.record_from:
            self.run.latencies.append(now - self.started)
            if not self.buffer.startswith(b"HTTP/1.1 200"):
                self.run.errors.append(self.buffer[9:12].decode())
        closing = b"connection: close" in head
        self.buffer = self.buffer[end + 4 + length :]
        if closing:
            assert self.transport is not None
            self.transport.close()
        else:
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if time.perf_counter() < self.run.stop_at:
            self.run.reconnect()
        else:
            self.run.open -= 1
            if not self.run.open:
                self.run.done.set_result(None)


class _Run:
    def __init__(self, port: int, path: str, connections: int, warmup: float, seconds: float) -> None:
        self.port = port
        self.request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.record_from = time.perf_counter() + warmup
        self.stop_at = self.record_from + seconds
        self.open = connections
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self.loop.create_future()

    def reconnect(self) -> None:
        self.loop.create_task(self.loop.create_connection(lambda: _Client(self), "127.0.0.1", self.port))


async def _load(
    port: int, path: str, connections: int, warmup: float, seconds: float
) -> tuple[list[float], list[str], float]:
    run = _Run(port, path, connections, warmup, seconds)
    for _ in range(connections):
        await run.loop.create_connection(lambda: _Client(run), "127.0.0.1", port)
    await run.done
    return run.latencies, run.errors, seconds


def measure(port: int, path: str, connections: int, warmup: float, seconds: float) -> dict[str, float]:
    cpu_before = time.process_time()
    latencies, errors, duration = asyncio.run(_load(port, path, connections, warmup, seconds))
    cpu = (time.process_time() - cpu_before) / (warmup + seconds)
    latencies.sort()
    return {
        "errors": len(errors),
        "server_errors": sum(1 for e in errors if e.startswith("5")),
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "n": len(latencies),
        "client_cpu": cpu,
    }


# --- set-up: database, data, server -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def _prepare(env: dict[str, str]) -> None:
    """Migrate, load the rubric and issue TM-00142 in the temporary database."""
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0); call_command('load_rubric', verbosity=0)\n"
        "from accounts import demo; demo.seed([])\n"
        "from trustmarks import demo as tm; tm.seed([])\n"
        "from trustmarks.models import TrustMark\n"
        "print(TrustMark.objects.order_by('number').first())\n"
    )
    out = subprocess.run(
        [PYTHON, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    print(f"data: {out.stdout.strip()}")


def _queue_jobs(env: dict[str, str], simulations: int, exports: int) -> None:
    """Queue the job load through the real services (the same path as the pages and the API)."""
    script = (
        "import django; django.setup()\n"
        "from accounts.models import Organisation, User\n"
        "from studio.services import workflow_from_template\n"
        "from simulations.services import simulation_start\n"
        "from evidence.services import export_workflows\n"
        "org = Organisation.objects.get(slug='acme-ai'); pat = User.objects.get(email='pat@acme.example')\n"
        "wf = workflow_from_template(organisation=org, author=pat, slug='rag-assistant', name='Bench load')\n"
        f"for i in range({simulations}): simulation_start(workflow=wf, user=pat, n=200000, seed=i)\n"
        f"for i in range({exports}): export_workflows(organisation=org, user=pat, workflows=[wf])\n"
    )
    subprocess.run([PYTHON, "-c", script], env=env, cwd=ROOT, check=True)


def _jobs_in_flight(env: dict[str, str]) -> str:
    script = (
        "import django; django.setup()\n"
        "from simulations.models import SimulationRun as S; from evidence.models import ExportJob as E\n"
        "q = ['queued', 'running']\n"
        "print(f'{S.objects.filter(status__in=q).count()} simulations and '"
        " f'{E.objects.filter(status__in=q).count()} exports queued or running; '"
        ' f\'{S.objects.filter(status="done").count()} + {E.objects.filter(status="done").count()} done\')\n'
    )
    out = subprocess.run(
        [PYTHON, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def job_load(port: int, env: dict[str, str], args: argparse.Namespace) -> int:
    """Verify p99 and 5xx count while 40 simulations and 8 exports run on a real worker."""
    worker = subprocess.Popen(
        [CELERY, "-A", "workflowos", "worker", "--concurrency", "2", "--loglevel", "WARNING",
         "--hostname", f"bench-{os.getpid()}@%h"],
        env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        _queue_jobs(env, args.simulations, args.exports)
        path = "/api/certify/trust-mark/verify?id=TM-00142"
        c = args.connections
        print(
            f"job load: {args.simulations} simulations + {args.exports} exports queued on a 2-process worker"
        )
        rounds = []
        for round_no in range(1, args.rounds + 1):
            r = measure(port, path, c, args.warmup, args.seconds)
            rounds.append(r)
            print(
                f"round {round_no} verify {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms"
                f"  5xx {r['server_errors']:.0f}  ({_jobs_in_flight(env)}; load {os.getloadavg()[0]:.1f})"
            )
        p99 = statistics.median(r["p99"] for r in rounds)
        server_errors = sum(r["server_errors"] for r in rounds)
        ok = p99 <= TARGET_P99_UNDER_LOAD_MS and server_errors == 0
        print(
            f"\nmedian verify p99 under job load {p99:.2f} ms (target <= {TARGET_P99_UNDER_LOAD_MS:.0f} ms), "
            f"{server_errors:.0f} x 5xx (target 0): {'met' if ok else 'NOT met'}"
        )
        return 0 if ok else 1
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def _wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _clear_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter("workflowos:trustmarks:*"):
        client.delete(key)
    for key in client.scan_iter(":1:*"):
        client.delete(key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per round and view")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--redis-db", type=int, default=13)
    # One thread per worker gave the shortest tails here (16 threads: p99 ~40-55 ms, GIL contention).
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--job-load", action="store_true", help="measure verify while jobs run (issue 11)")
    parser.add_argument("--simulations", type=int, default=40)
    parser.add_argument("--exports", type=int, default=8)
    args = parser.parse_args()

    db_name = f"bench_verify_{os.getpid()}"
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    port = _free_port()
    var_dir = tempfile.mkdtemp(prefix="bench-verify-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.verify_settings",
        "DJANGO_ENV": "development",
        "DEBUG": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "DB_CONN_MAX_AGE": "600",
        "REDIS_URL": redis_url,
        "WORKFLOWOS_VAR_DIR": var_dir,
        "VERIFY_RATE": "100000000/m",  # counted on every request, never reached
        # The job load is one organisation's 48 jobs: lift its quotas (0 = off) for the measurement.
        "WORKFLOWOS_JOB_CONCURRENT": "0",
        "WORKFLOWOS_JOB_STARTS_PER_HOUR": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    import redis

    if redis.Redis.from_url(redis_url).dbsize():
        raise SystemExit(f"{redis_url} is not empty; pick a free database with --redis-db")
    _admin(f'CREATE DATABASE "{db_name}"')
    server = None
    try:
        _prepare(env)
        server = subprocess.Popen(
            [GUNICORN, "workflowos.wsgi:application", "--workers", "2", "--worker-class", args.worker_class,
             "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}", "--keep-alive", "30",
             "--log-level", "warning"],
            env=env, cwd=ROOT, start_new_session=True,
        )  # fmt: skip
        _wait_for(port)
        if args.job_load:
            return job_load(port, env, args)
        paths = {"bare": "/bench/bare", "verify": "/api/certify/trust-mark/verify?id=TM-00142"}
        results: dict[str, list[dict[str, float]]] = {"bare": [], "verify": []}
        c = args.connections
        print(
            f"gunicorn: 2 {args.worker_class} workers x {args.threads} threads; PostgreSQL {db_name}; "
            f"Redis {redis_url}; {c} connections; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        for name in paths:  # prime caches and connections
            measure(port, paths[name], c, 0.0, 1.0)
        for round_no in range(1, args.rounds + 1):
            for name in ("bare", "verify") if round_no % 2 else ("verify", "bare"):
                r = measure(port, paths[name], c, args.warmup, args.seconds)
                if r["errors"]:
                    raise SystemExit(f"{paths[name]}: {r['errors']:.0f} non-200 answers")
                results[name].append(r)
                print(
                    f"round {round_no} {name:6} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms  ({r['n']:.0f} requests; load generator used {r['client_cpu']:.0%} of a core)"
                )
        med = {
            name: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99")}
            for name, rs in results.items()
        }
        ratio = med["verify"]["rps"] / med["bare"]["rps"]
        print(f"\nmedian of {args.rounds} rounds at {c} connections:")
        for name in ("bare", "verify"):
            m = med[name]
            print(f"  {name:6} {m['rps']:8.0f} req/s  p50 {m['p50']:6.2f} ms  p99 {m['p99']:6.2f} ms")
        print(f"  load average now {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)")
        ok_ratio = ratio >= TARGET_RATIO
        ok_p99 = med["verify"]["p99"] <= TARGET_P99_MS
        print(
            f"  ratio verify/bare {ratio:.2f} (target >= {TARGET_RATIO}: {'met' if ok_ratio else 'NOT met'})"
        )
        print(
            f"  verify p99 {med['verify']['p99']:.2f} ms (target <= {TARGET_P99_MS:.0f} ms: {'met' if ok_p99 else 'NOT met'})"
        )
        return 0 if ok_ratio and ok_p99 else 1
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        _clear_redis(redis_url)
        _admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", var_dir], check=False)


if __name__ == "__main__":
    sys.exit(main())
