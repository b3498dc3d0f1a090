"""The MSP's client workspace: /clients/ (overview), branding and launch packs."""

from __future__ import annotations

from django.urls import path, re_path

from . import launchpack_views, views

app_name = "msp"
urlpatterns = [
    path("clients/", views.clients, name="clients"),
    path("clients/<slug:slug>/branding/", views.client_branding, name="client_branding"),
    path("organisation/branding/", views.branding, name="branding"),
]
# --- launch pack and monthly governance report (msp/launchpack_views.py) ---------------------------
urlpatterns += [
    path("clients/<slug:slug>/launch-pack/", launchpack_views.launch_pack_page, name="launch-pack"),
    path(
        "clients/<slug:slug>/launch-pack/pdf/",
        launchpack_views.launch_pack_pdf_request,
        name="launch-pack-pdf",
    ),
    re_path(
        r"^clients/(?P<slug>[-a-zA-Z0-9_]+)/reports/monthly/(?P<month>[0-9]{4}-[0-9]{2})/$",
        launchpack_views.monthly_report_page,
        name="monthly-report",
    ),
    re_path(
        r"^clients/(?P<slug>[-a-zA-Z0-9_]+)/reports/monthly/(?P<month>[0-9]{4}-[0-9]{2})/pdf/$",
        launchpack_views.monthly_report_pdf_request,
        name="monthly-report-pdf",
    ),
    path("clients/<slug:slug>/pdfs/<int:render_id>/", launchpack_views.pdf_status, name="pdf"),
    path(
        "clients/<slug:slug>/pdfs/<int:render_id>/download/",
        launchpack_views.pdf_download,
        name="pdf-download",
    ),
]
# --- end launch pack -------------------------------------------------------------------------------
