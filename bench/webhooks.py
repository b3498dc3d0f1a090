"""Benchmark of trust-mark notifications: fanning one status change out to many webhook
subscriptions, and delivering them (signed, SSRF-checked, over HTTP) to a local receiver.

Run: ``.venv/bin/python bench/webhooks.py [--subscriptions 500] [--repeat 5]``. Uses a throw-away
SQLite database in a temporary folder and a threaded receiver on 127.0.0.1 (port 18890 or the next
free one); prints the median fan-out time per event, and the median time per delivery. No target
was set by the issue; the figures show the cost a status change adds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _harness import bench_instance


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def receiver() -> tuple[ThreadingHTTPServer, int]:
    for port in range(18890, 18900):
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), Handler), port
        except OSError:
            continue
    raise SystemExit("no free port in 18890-18899")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    os.environ.update(
        {
            "WORKFLOWOS_WEBHOOK_ALLOW_PRIVATE": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    bench_instance()
    from accounts.models import Organisation, User
    from notify.models import WebhookDelivery, WebhookSubscription
    from notify.services import event_fanout, webhook_deliver
    from notify.signing import secret_new
    from psf.selectors import rubric_version_current
    from tests.trustmarks.helpers import lead_assessor, passed_assessment
    from trustmarks.models import TrustMarkEvent
    from trustmarks.services import trust_mark_issue, trust_mark_reinstate, trust_mark_suspend

    ada = User.objects.get(email="ada@workflowos.example")
    lead = lead_assessor()
    pat = User.objects.get(email="pat@acme.example")
    assessment = passed_assessment(Organisation.objects.get(slug="acme-ai"), rubric_version_current(), ada)
    mark = trust_mark_issue(assessment=assessment, actor=ada)
    server, port = receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{port}/hook"
    WebhookSubscription.objects.bulk_create(
        WebhookSubscription(
            owner=pat,
            trust_mark=mark,
            url=url,
            events=["trustmark.suspended", "trustmark.reinstated"],
            secret=secret_new(),
        )
        for _ in range(args.subscriptions)
    )

    fanout_ms, deliver_ms = [], []
    for i in range(args.repeat):
        if i % 2 == 0:
            mark = trust_mark_suspend(mark=mark, actor=ada, reason="bench")
        else:
            mark = trust_mark_reinstate(mark=mark, actor=ada, reason="bench", approver=lead)
        event = TrustMarkEvent.objects.filter(trust_mark=mark).order_by("-id").first()
        assert event is not None
        t0 = time.perf_counter()
        deliveries, _ = event_fanout(event_id=event.pk)
        fanout_ms.append((time.perf_counter() - t0) * 1000)
        assert len(deliveries) == args.subscriptions
        sample = deliveries[:50]
        t0 = time.perf_counter()
        for pk in sample:
            webhook_deliver(delivery_id=pk)
        deliver_ms.append((time.perf_counter() - t0) * 1000 / len(sample))
    delivered = WebhookDelivery.objects.filter(status="delivered").count()
    server.shutdown()
    print(
        f"fan-out of one event to {args.subscriptions} subscriptions: median {statistics.median(fanout_ms):.0f} ms "
        f"(best {min(fanout_ms):.0f}, worst {max(fanout_ms):.0f}; {args.repeat} events)"
    )
    print(
        f"one signed delivery to a local receiver (SSRF check, HMAC, HTTP, attempt row): median "
        f"{statistics.median(deliver_ms):.1f} ms ({delivered} delivered)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
