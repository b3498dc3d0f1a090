"""Paging of every list API: ``limit`` and ``offset`` checked, out-of-range values refused.

A huge ``offset`` used to reach the database as an integer it cannot hold (a 500); a bad value is
now a 400 naming the field, like any other invalid input. ``page_params`` serves the hand-written
list views; ``Pagination`` is DRF's default pagination class (REST_FRAMEWORK settings) for any
generic list view.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from lib.errors import DomainError, ErrorItem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000_000  # far past any real list, far below what a database integer holds


def _integer(params: Any, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 20:
        raise DomainError(
            f"{name} must be a whole number from {low} to {high:,}.",
            [ErrorItem(name, "expected an integer")],
        )
    value = int(text)
    if not low <= value <= high:
        raise DomainError(
            f"{name} must be a whole number from {low} to {high:,}.",
            [ErrorItem(name, f"out of range ({low}–{high})")],
        )
    return value


def page_params(
    request: Request | HttpRequest, *, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT
) -> tuple[int, int]:
    """``(limit, offset)`` from the query string; raises DomainError (400) naming a bad field."""
    params = request.query_params if isinstance(request, Request) else request.GET
    limit = _integer(params, "limit", default_limit, 1, max_limit)
    offset = _integer(params, "offset", 0, 0, MAX_OFFSET)
    return limit, offset


class Pagination(LimitOffsetPagination):
    """DRF's limit/offset paging with the same checks as ``page_params``."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        return _integer(request.query_params, self.limit_query_param, self.default_limit, 1, MAX_LIMIT)

    def get_offset(self, request: Request) -> int:
        return _integer(request.query_params, self.offset_query_param, 0, 0, MAX_OFFSET)
