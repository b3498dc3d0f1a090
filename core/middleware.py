"""Answer 503, not 500, while the database is out of reach.

Every page and API call reads the database (the session, the user, the organisation), so when it
is down or restarting the request fails with ``OperationalError``/``InterfaceError``. This
middleware turns those into a clear 503 with ``Retry-After``: JSON for the API, and for pages a
plain template rendered without the request context, so that nothing in the answer touches the
database again (``accounts.context_processors.organisation`` would). The error is still logged
with its traceback: a query bug that raises ``OperationalError`` must not hide behind the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from lib.jobs import is_database_error

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
PUBLIC_API_PREFIX = "/api/certify/"
TITLE = "Temporarily unavailable"
MESSAGE = (
    "WorkflowOS cannot reach its database right now, usually for a restart that takes a few seconds. "
    "Nothing you saved is lost. Try again in a minute."
)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer for ``request`` (JSON for the API, a plain page otherwise)."""
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(
            {"error": "database_unavailable", "message": MESSAGE, "errors": []}, status=503
        )
    else:
        html = render_to_string(
            "core/unavailable.html",
            {"title": TITLE, "message": MESSAGE},
        )
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    if request.path.startswith(PUBLIC_API_PREFIX):  # read from any web page: let it see the 503
        response["Access-Control-Allow-Origin"] = "*"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_error(exception):
            return None
        log.error(
            "database unavailable: %s %s answered 503",
            request.method,
            request.path,
            exc_info=(type(exception), exception, exception.__traceback__),
        )
        return database_unavailable(request)
