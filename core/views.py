from __future__ import annotations

import errno
import logging
import secrets
import sys
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.access import active_membership, is_assessor, login_required_page
from lib.jobs import is_database_error

from .middleware import database_unavailable
from .models import WorkerHeartbeat

log = logging.getLogger(__name__)

WORKER_STALE_SECONDS = 30


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "core/landing.html")


@login_required_page
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = active_membership(request)
    if membership is None and is_assessor(request.user):
        return render(request, "core/dashboard.html", {"membership": None})
    return render(request, "core/dashboard.html", {"membership": membership})


def roll_out(request: HttpRequest) -> HttpResponse:
    return render(request, "core/roll_out.html")


def advise(request: HttpRequest) -> HttpResponse:
    return render(request, "core/advise.html")


# /healthz answers with a short reason per check. Never the exception text: it can name hosts,
# users or paths, and /healthz is public. The exception goes to the log instead.
Check = tuple[bool | None, str]


def _check_database() -> Check:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return True, "ok"
    except Exception:
        log.warning("healthz: database check failed", exc_info=True)
        return False, "cannot connect to the database or run a query"


def _check_broker() -> Check:
    from workflowos.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception:
        log.warning("healthz: broker check failed", exc_info=True)
        return False, "cannot connect to the job queue (broker)"


def _check_worker(database_ok: bool) -> Check:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "eager mode (tasks run in the web process)"
    if not database_ok:
        return None, "unknown: workers report in through the database"
    try:
        cutoff = timezone.now() - timedelta(seconds=WORKER_STALE_SECONDS)
        alive = WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).count()
    except Exception:
        log.warning("healthz: worker check failed", exc_info=True)
        return None, "unknown: the worker heartbeats could not be read"
    expected = settings.EXPECTED_WORKERS
    if expected > 0:
        return (
            alive >= expected,
            f"{alive} of {expected} expected worker(s) seen in the last {WORKER_STALE_SECONDS} s",
        )
    if alive:
        return True, f"{alive} worker(s) seen in the last {WORKER_STALE_SECONDS} s"
    return False, f"no worker heartbeat in the last {WORKER_STALE_SECONDS} s"


def _storage_problem(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "storage is full: files cannot be written"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "storage is not writable"
    return "cannot write a file to storage"


def _check_storage() -> Check:
    """Write a small probe through the storage every artefact goes through, read it back, delete it."""
    name = ""
    try:
        name = default_storage.save(f"healthz/probe-{secrets.token_hex(8)}.txt", ContentFile(b"ok\n"))
        with default_storage.open(name, "rb") as fh:
            if fh.read() != b"ok\n":
                return False, "storage returned different bytes than were written"
        return True, "ok"
    except Exception as exc:
        log.warning("healthz: storage check failed", exc_info=True)
        return False, _storage_problem(exc)
    finally:
        if name:
            try:
                default_storage.delete(name)
            except Exception:
                log.warning("healthz: storage probe %s not deleted", name, exc_info=True)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """What is up and what is down: database, broker, worker(s), storage. 200 when all are fine,
    503 otherwise; ``down`` names the failed checks (a check that cannot tell, e.g. the workers
    while the database is down, says so and is not listed)."""
    database = _check_database()
    results: dict[str, Check] = {
        "database": database,
        "broker": _check_broker(),
        "worker": _check_worker(database_ok=database[0] is True),
        "storage": _check_storage(),
    }
    checks: dict[str, Any] = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}
    down = [name for name, (ok, _detail) in results.items() if ok is False]
    healthy = all(ok is True for ok, _detail in results.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "down": down,
        "checks": checks,
        "time": timezone.now().isoformat(),
    }
    return JsonResponse(body, status=200 if healthy else 503)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": "not_found", "message": "Not found.", "errors": []}, status=404)
    return render(
        request,
        "core/error.html",
        {
            "title": "Page not found",
            "message": "There is nothing at this address. It may have moved, or you may not have access to it.",
        },
        status=404,
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You do not have access to this page."
    if _wants_json(request):
        return JsonResponse({"error": "permission_denied", "message": message, "errors": []}, status=403)
    return render(request, "core/error.html", {"title": "Not allowed", "message": message}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": "bad_request", "message": "Bad request.", "errors": []}, status=400)
    return render(
        request,
        "core/error.html",
        {"title": "Bad request", "message": "The request could not be understood."},
        status=400,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if is_database_error(sys.exc_info()[1]):  # raised outside a view (a middleware): still a 503
        return database_unavailable(request)
    if _wants_json(request):
        return JsonResponse(
            {"error": "server_error", "message": "Something went wrong on our side; it has been logged."},
            status=500,
        )
    context = {
        "title": "Something went wrong",
        "message": "The error has been logged. Your data is safe; try again.",
    }
    try:
        return render(request, "core/error.html", context, status=500)
    except Exception:  # the page itself needs what just failed (e.g. the database): no context
        log.exception("the branded error page could not be rendered; serving the plain one")
        return HttpResponse(
            render_to_string("core/error_plain.html", context), status=500, content_type="text/html"
        )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": "Form expired",
            "message": "The form was open too long or came from elsewhere. Go back, reload the page and try again.",
        },
        status=403,
    )


def favicon(request: HttpRequest) -> HttpResponse:
    return redirect("/static/img/favicon.svg", permanent=True)
