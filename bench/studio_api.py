"""Save and load a 1,000-step / 1,500-edge workflow through the REST API (Django test client,
real SQLite database, full validation and hashing). Prints medians; targets ≤ 1 s for each.

    .venv/bin/python bench/studio_api.py [--nodes 1000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_S = 1.0
TYPES = [
    "user_input",
    "input_validator",
    "injection_filter",
    "pii_redactor",
    "llm_call",
    "output_validator",
    "tracing",
    "tool_call",
    "authorization_check",
    "response",
]


def build(n: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    nodes = []
    for i in range(n):
        t = TYPES[i % len(TYPES)]
        cfg = (
            {
                "vendor": rng.choice(["openai", "anthropic", "mistral"]),
                "model": "m",
                "model_version": "2025-01-01",
            }
            if t == "llm_call"
            else {}
        )
        nodes.append(
            {
                "id": f"n{i}",
                "type": t,
                "label": f"Step {i} ({t})",
                "config": cfg,
                "position": {"x": (i % 40) * 220.0, "y": (i // 40) * 120.0},
            }
        )
    edges = [{"id": f"e{i}", "from": f"n{i}", "to": f"n{i + 1}", "kind": "data"} for i in range(n - 1)]
    while len(edges) < int(n * 1.5):
        a, b = sorted(rng.sample(range(n), 2))
        edges.append(
            {
                "id": f"x{len(edges)}",
                "from": f"n{a}",
                "to": f"n{b}",
                "kind": rng.choice(["data", "fallback", "escalation"]),
            }
        )
    return {
        "format": "workflowos.workflow/v1",
        "name": f"Bench {n}",
        "facts": {"personal_data": True, "stakes": "high", "audience": "external", "regulated": False},
        "nodes": nodes,
        "edges": edges,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.update(
        {
            "WORKFLOWOS_VAR_DIR": tempfile.mkdtemp(prefix="wfos-bench-"),
            "DJANGO_ENV": "development",
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "workflowos.settings",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from accounts import demo
    from accounts.models import User

    demo.seed([])
    client = Client()
    client.force_login(User.objects.get(email="pat@acme.example"))
    doc = build(args.nodes)
    body = json.dumps(doc)
    print(
        f"workflow: {len(doc['nodes'])} steps, {len(doc['edges'])} edges, {len(body) / 1024:.0f} KiB of JSON"
    )

    resp = client.post("/api/workflows/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content[:500]
    wf_id, head = resp.json()["id"], resp.json()["head_version"]
    saves, loads = [], []
    for i in range(args.repeat):
        doc["nodes"][0]["label"] = f"Step 0 (edit {i})"  # a real change, so each save stores a version
        payload = json.dumps({"document": doc, "base_version": head})
        t0 = time.perf_counter()
        resp = client.put(f"/api/workflows/{wf_id}/", payload, content_type="application/json")
        saves.append(time.perf_counter() - t0)
        assert resp.status_code == 201, resp.content[:300]
        head = resp.json()["head_version"]
        t0 = time.perf_counter()
        resp = client.get(f"/api/workflows/{wf_id}/")
        got = resp.json()
        loads.append(time.perf_counter() - t0)
        assert len(got["document"]["nodes"]) == args.nodes
    for name, values in (("save (PUT, validate, hash, store)", saves), ("load (GET)", loads)):
        med = statistics.median(values)
        print(
            f"{name:36s} median {med * 1000:7.1f} ms  (min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})  target ≤ {TARGET_S * 1000:.0f} ms  {'OK' if med <= TARGET_S else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
