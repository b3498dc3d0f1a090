"""A URL conf with a view that fails, to see the branded 500 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals: /srv/app/settings.py password=hunter2")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), path("", include("workflowos.urls"))]
handler500 = "core.views.server_error"
