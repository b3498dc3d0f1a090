from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path(
        "workflows/<int:workflow_id>/results/",
        views.WorkflowResultsView.as_view(),
        name="api-workflow-results",
    ),
    path("results/<int:result_id>/", views.result_detail, name="api-result"),
]
