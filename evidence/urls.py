from __future__ import annotations

from django.urls import path

from . import views

app_name = "evidence"
urlpatterns = [
    path("evidence/", views.export_index, name="index"),
    path("evidence/workflows/<int:workflow_id>/", views.workflow_evidence, name="workflow"),
    path("evidence/submissions/<int:submission_id>/", views.submission_evidence, name="submission"),
    path("evidence/<int:export_id>/", views.export_detail, name="detail"),
    path("evidence/<int:export_id>/cancel/", views.export_cancel_view, name="cancel"),
    path("evidence/<int:export_id>/retry/", views.export_retry_view, name="retry"),
    path("evidence/<int:export_id>/evidence-pack.pdf", views.export_download, {"kind": "pdf"}, name="pdf"),
    path(
        "evidence/<int:export_id>/evidence-bundle.zip", views.export_download, {"kind": "zip"}, name="bundle"
    ),
]
