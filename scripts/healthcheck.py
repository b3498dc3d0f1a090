"""Container health check (the image's HEALTHCHECK): python only, no curl in the image.

Healthy when ``/healthz`` answers 200, or 503 with the database check passing: the web process
is up and reaches its database, and a broker or worker outage (reported by /healthz, and by the
worker's own health check) must not make Docker restart the web container too.
Exit 0 healthy, 1 unhealthy. The Host header is the first of ALLOWED_HOSTS, so Django accepts it.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request


def host() -> str:
    first = (os.environ.get("ALLOWED_HOSTS", "").split(",")[0] or "localhost").strip()
    return "localhost" if first in ("", "*") else first.lstrip(".")


def main() -> int:
    url = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
    request = urllib.request.Request(url, headers={"Host": host(), "X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        if exc.code != 503:
            print(f"healthz answered {exc.code}", file=sys.stderr)
            return 1
        try:
            body = json.loads(exc.read(65536))
            database_ok = bool(body["checks"]["database"]["ok"])
        except (ValueError, KeyError, TypeError):
            database_ok = False
        print(f"healthz: degraded ({exc.code}); database {'ok' if database_ok else 'down'}", file=sys.stderr)
        return 0 if database_ok else 1
    except OSError as exc:
        print(f"healthz unreachable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
