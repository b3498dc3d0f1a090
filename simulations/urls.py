from __future__ import annotations

from django.urls import path

from . import views

app_name = "simulations"
prefix = "studio/<int:workflow_id>/simulations/"
urlpatterns = [
    path(prefix, views.simulation_index, name="index"),
    path(prefix + "<int:run_id>/", views.simulation_detail, name="run"),
    path(prefix + "<int:run_id>/cancel/", views.simulation_cancel_view, name="cancel"),
    path(prefix + "<int:run_id>/rerun/", views.simulation_rerun_view, name="rerun"),
    path(prefix + "<int:run_id>/journal/", views.simulation_journal, name="journal"),
    path(prefix + "<int:run_id>/report.json", views.simulation_report_json, name="report_json"),
    path(prefix + "<int:run_id>/params.json", views.simulation_params_json, name="params_json"),
]
