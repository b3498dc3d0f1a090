"""Bench-only URLs: every product URL plus ``/bench/bare``, the baseline served the same way."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from workflowos.urls import urlpatterns as product_urlpatterns


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"valid": True, "company": "Acme AI", "expires": "2026-12-31", "domains": "PSF-1..8"})


# Last, so that resolving it walks the whole URL conf, as resolving the verify endpoint does.
urlpatterns = [*product_urlpatterns, path("bench/bare", bare)]
handler400 = "core.views.bad_request"
handler403 = "core.views.forbidden"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
