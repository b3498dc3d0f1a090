from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path(
        "workflows/<int:workflow_id>/simulations/",
        views.WorkflowSimulationsView.as_view(),
        name="api-workflow-simulations",
    ),
    path("simulations/<int:run_id>/", views.simulation_detail, name="api-simulation"),
    path("simulations/<int:run_id>/cancel/", views.simulation_cancel_api, name="api-simulation-cancel"),
    path("simulations/<int:run_id>/journal/", views.simulation_journal_api, name="api-simulation-journal"),
]
