"""API error shape: every error is JSON with a code, a message and field paths.

``{"error": "invalid", "message": "…", "errors": [{"path": "nodes[3].config.model_version", "message": "…"}]}``
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from lib.errors import DomainError


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            sub = f"{path}.{key}" if path else str(key)
            if key == "non_field_errors":
                sub = path
            out.extend(_flatten(value, sub))
    elif isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            out.extend({"path": path, "message": str(v)} for v in detail)
        else:
            for i, value in enumerate(detail):
                out.extend(_flatten(value, f"{path}[{i}]"))
    else:
        out.append({"path": path, "message": str(detail)})
    return out


def error_response(
    code: str, message: str, errors: list[dict[str, str]] | None = None, status_code: int = 400
) -> Response:
    return Response({"error": code, "message": message, "errors": errors or []}, status=status_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        refusal = error_response(exc.code, exc.message, [e.as_dict() for e in exc.errors], exc.status)
        if exc.retry_after is not None:
            refusal["Retry-After"] = str(exc.retry_after)
        return refusal
    if isinstance(exc, RequestDataTooBig):  # DRF reads JSON bodies through request.body
        limit = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) // (1024 * 1024)
        return error_response("too_large", f"Request body too large: the limit is {limit} MB.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You do not have permission to do this.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.data = {"error": "invalid", "message": "The request is not valid.", "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = {"error": code, "message": str(detail), "errors": []}
        if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
            response.data["error"] = "rate_limited"
    return response
