from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path(
        "workflows/<int:workflow_id>/exports/",
        views.WorkflowExportsView.as_view(),
        name="api-workflow-exports",
    ),
    path("exports/", views.ExportsView.as_view(), name="api-exports"),
    path("exports/<int:export_id>/", views.ExportDetailView.as_view(), name="api-export"),
    path("exports/<int:export_id>/cancel/", views.ExportCancelView.as_view(), name="api-export-cancel"),
    path("exports/<int:export_id>/retry/", views.ExportRetryView.as_view(), name="api-export-retry"),
    path(
        "exports/<int:export_id>/evidence-pack.pdf",
        views.ExportPdfView.as_view(),
        name="api-export-pdf",
    ),
    path(
        "exports/<int:export_id>/evidence-bundle.zip",
        views.ExportBundleView.as_view(),
        name="api-export-bundle",
    ),
]
