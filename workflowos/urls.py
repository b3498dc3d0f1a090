from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from accounts import views as accounts_views
from core import views as core_views
from governance import api as governance_api

urlpatterns = [
    path("", include("core.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon),
    path("accounts/", include("accounts.urls")),
    path("account/", include("accounts.urls_account")),
    path("", include("accounts.urls_org")),
    path("psf/", include("psf.urls")),
    path("pai8/", include("psf.urls_pai8")),
    path("api/", include("psf.api.urls")),
    path("api/me/", accounts_api.me, name="api-me"),
    path("api/", include("studio.api.urls")),
    path("studio/", include("studio.urls")),
    # Each feature owns its pages and API routes.
    path("", include("assessments.urls")),
    path("api/", include("assessments.api.urls")),
    path("", include("trustmarks.urls")),
    path("api/", include("trustmarks.api.urls")),
    path("", include("simulations.urls")),
    path("api/", include("simulations.api.urls")),
    path("", include("evidence.urls")),
    path("api/", include("evidence.api.urls")),
    path("", include("msp.urls")),
    path("", include("governance.urls")),
    path("api/inventory/", governance_api.inventory_api, name="api-inventory"),
    path("", include("notify.urls")),
    path("api/", include("notify.api.urls")),
    path("", include("credentials.urls")),
    path("api/", include("credentials.api.urls")),
    path("", include("results.urls")),
    path("api/", include("results.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from a URL, not inline (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Before the admin's own URLs, so its sign-in goes through the sign-in throttle.
    path("admin/login/", accounts_views.admin_sign_in, name="admin-sign-in"),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.forbidden"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
