"""Benchmark of the trust-mark transparency log (issue 14).

Run: ``.venv/bin/python bench/tlog.py [--entries 100000] [--appends 10000] [--rounds 3] [--pg]``.

Uses a throw-away SQLite database in a temporary folder (``--pg``: a temporary PostgreSQL database
on 127.0.0.1:5432, dropped at the end). Prints medians of:

* appending ``--appends`` entries one by one, each in its own transaction (head-row lock, leaf,
  new subtree nodes, a newly signed checkpoint) — target ≤ 5 s for 10,000;
* the same entries in one batch (what ``tlog_backfill`` does);
* on a log of ``--entries`` entries: one inclusion proof served through the public API
  (``GET /api/certify/log/proof/inclusion?index=…``) and verified as ``workflowos verify-log``
  does (leaf hash, RFC 9162 path against the signed checkpoint's root) — target ≤ 50 ms;
* ``workflowos verify-log`` end to end against the test client (key, checkpoint and its
  signature, consistency proof from a saved checkpoint; the synthetic entries have no mark rows,
  so ``--mark``'s verify-API step is left out and its inclusion proof is measured above);
* ``verify_audit_log``'s full recomputation of the log.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
TARGET_APPEND_S = 5.0
TARGET_PROOF_MS = 50.0


def _leaf(tlog, n: int) -> dict:  # type: ignore[no-untyped-def]
    return tlog.leaf_for(
        kind="issued",
        mark_id=f"TM-{n % 99_999 + 1:05d}",
        status="active",
        expires="2030-01-01",
        credential_sha256=f"{n:064x}",
        time=datetime.now(UTC),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--proofs", type=int, default=200)
    parser.add_argument("--pg", action="store_true", help="use a temporary PostgreSQL database")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="wfos-bench-tlog-")
    env = {
        "WORKFLOWOS_VAR_DIR": tmp,
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "workflowos.settings",
        "PUBLIC_URL": "http://testserver",
        "VERIFY_RATE": "1000000/m",
    }
    db_name = f"wfos_bench_tlog_{os.getpid()}"
    if args.pg:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {db_name}"], check=True)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
    os.environ.update(env)
    try:
        return _run(args)
    finally:
        if args.pg:
            from django.db import connections

            connections.close_all()
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {db_name}"], check=False)


def _run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from lib import merkle
    from lib.checkpoint import NoteVerifier, open_checkpoint
    from trustmarks import tlog
    from trustmarks.models import LogEntry, LogHead, LogNode

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    tlog.log_signer()

    def reset() -> None:
        LogEntry.objects.all().delete()
        LogNode.objects.all().delete()
        LogHead.objects.all().delete()

    # 1. One by one, each append its own transaction.
    one_by_one = []
    for _ in range(args.rounds):
        reset()
        leaves = [_leaf(tlog, n) for n in range(args.appends)]
        start = time.perf_counter()
        for leaf in leaves:
            tlog.append_leaves([leaf])
        one_by_one.append(time.perf_counter() - start)
    med = statistics.median(one_by_one)
    print(
        f"append {args.appends} entries one by one: median {med:.2f} s "
        f"({med / args.appends * 1e6:.0f} µs each; best {min(one_by_one):.2f}, worst {max(one_by_one):.2f}) "
        f"target ≤ {TARGET_APPEND_S} s: {'OK' if med <= TARGET_APPEND_S else 'MISSED'}"
    )
    batched = []
    for _ in range(args.rounds):
        reset()
        leaves = [_leaf(tlog, n) for n in range(args.appends)]
        start = time.perf_counter()
        tlog.append_leaves(leaves)
        batched.append(time.perf_counter() - start)
    print(f"append {args.appends} entries in one batch: median {statistics.median(batched):.2f} s")

    # 2. Fill to --entries, remember a checkpoint part-way (a verifier's saved one).
    reset()
    saved_size = args.entries * 9 // 10
    for lo in range(0, saved_size, 10_000):
        tlog.append_leaves([_leaf(tlog, n) for n in range(lo, min(lo + 10_000, saved_size))])
    saved_note = LogHead.objects.get().checkpoint
    for lo in range(saved_size, args.entries, 10_000):
        tlog.append_leaves([_leaf(tlog, n) for n in range(lo, min(lo + 10_000, args.entries))])
    # The last entry is a real-looking mark the CLI can check with --mark.
    note, checkpoint = tlog.signed_checkpoint()
    print(f"log filled: {checkpoint.size} entries")

    client = Client()
    key = NoteVerifier.parse(client.get("/.well-known/tlog-key").content.decode())
    rng = random.Random(14)
    times = []
    for _ in range(args.proofs):
        index = rng.randrange(checkpoint.size)
        start = time.perf_counter()
        resp = client.get(f"/api/certify/log/proof/inclusion?index={index}&tree_size={checkpoint.size}")
        data = json.loads(resp.content)
        leaf = base64.b64decode(data["leaf_b64"])
        merkle.verify_inclusion(
            data["index"],
            checkpoint.size,
            merkle.leaf_hash(leaf),
            [base64.b64decode(h) for h in data["proof"]],
            checkpoint.root,
        )
        times.append((time.perf_counter() - start) * 1000)
    med = statistics.median(times)
    print(
        f"inclusion proof on a {checkpoint.size}-entry log (served + verified): median {med:.2f} ms, "
        f"p95 {sorted(times)[int(len(times) * 0.95)]:.2f} ms, target ≤ {TARGET_PROOF_MS} ms: "
        f"{'OK' if med <= TARGET_PROOF_MS else 'MISSED'}"
    )
    start = time.perf_counter()
    open_checkpoint(note, key)
    print(f"checkpoint signature check: {(time.perf_counter() - start) * 1000:.2f} ms")

    # 3. verify-log end to end (key, checkpoint, consistency from the saved one, inclusion).
    from trustmarks import verify_log_cli
    from workflowos.cli import build_parser

    saved = Path(tempfile.mkdtemp()) / "saved.txt"

    def fetch(url: str) -> tuple[int, bytes]:
        r = client.get(url.removeprefix("http://testserver"))
        return r.status_code, r.content

    cli_times = []
    for _ in range(max(5, args.rounds)):
        saved.write_text(saved_note)
        parsed = build_parser().parse_args(
            ["verify-log", "--url", "http://testserver", "--checkpoint", str(saved)]
        )
        start = time.perf_counter()
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = verify_log_cli.run(parsed, fetch=fetch)
        cli_times.append((time.perf_counter() - start) * 1000)
    print(
        f"verify-log (key, signed checkpoint, consistency {saved_size} -> {checkpoint.size}): "
        f"median {statistics.median(cli_times):.1f} ms, exit {code}"
        + ("" if code in (0, 1) else f" ({out.getvalue().strip()})")
    )

    start = time.perf_counter()
    report = tlog.log_verify()
    print(
        f"verify_audit_log's full log check on {report.size} entries: {time.perf_counter() - start:.2f} s "
        f"({'ok' if report.ok else report.problems[:2]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
