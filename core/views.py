from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.access import active_membership, is_assessor, login_required_page

from .models import WorkerHeartbeat

WORKER_STALE_SECONDS = 30
log = logging.getLogger(__name__)


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


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200]


def _check_broker() -> tuple[bool, str]:
    from workflowos.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200]


def _check_worker() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "eager mode (tasks run in the web process)"
    try:
        cutoff = timezone.now() - timedelta(seconds=WORKER_STALE_SECONDS)
        alive = WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).count()
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"[:200]
    return (
        alive > 0,
        f"{alive} worker(s) seen in the last {WORKER_STALE_SECONDS} s"
        if alive
        else "no worker heartbeat in the last 30 s",
    )


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    for name, fn in (("database", _check_database), ("broker", _check_broker), ("worker", _check_worker)):
        ok, detail = fn()
        checks[name] = {"ok": ok, "detail": detail}
    down = [name for name, c in checks.items() if not c["ok"]]
    body = {
        "status": "ok" if not down else "degraded",
        "down": down,
        "checks": checks,
        "time": timezone.now().isoformat(),
    }
    return JsonResponse(body, status=200 if not down else 503)


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
