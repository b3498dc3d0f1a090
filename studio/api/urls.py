from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("workflows/", views.WorkflowListView.as_view(), name="api-workflows"),
    path("workflows/import/", views.WorkflowImportView.as_view(), name="api-workflows-import"),
    path("workflows/<int:workflow_id>/", views.WorkflowDetailView.as_view(), name="api-workflow"),
    path("workflows/<int:workflow_id>/versions/", views.workflow_versions, name="api-workflow-versions"),
    path(
        "workflows/<int:workflow_id>/versions/<int:number>/",
        views.workflow_version,
        name="api-workflow-version",
    ),
    path("workflows/<int:workflow_id>/export/", views.workflow_export, name="api-workflow-export"),
    path("workflows/<int:workflow_id>/analysis/", views.workflow_analysis, name="api-workflow-analysis"),
    path("schemas/workflow-v1.json", views.workflow_schema, name="api-workflow-schema"),
    path("node-types/", views.node_types, name="api-node-types"),
]
