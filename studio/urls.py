from __future__ import annotations

from django.urls import path

from . import views

app_name = "studio"
urlpatterns = [
    path("", views.workflow_index, name="list"),
    path("new/", views.workflow_new, name="new"),
    path("import/", views.workflow_import_view, name="import"),
    path("<int:workflow_id>/", views.editor, name="editor"),
    path("<int:workflow_id>/steps/", views.steps, name="steps"),
    path("<int:workflow_id>/steps/add/", views.step_add, name="step_add"),
    path("<int:workflow_id>/steps/<str:node_id>/", views.step_edit, name="step"),
    path("<int:workflow_id>/steps/<str:node_id>/delete/", views.step_delete, name="step_delete"),
    path("<int:workflow_id>/edges/add/", views.edge_add, name="edge_add"),
    path("<int:workflow_id>/edges/<str:edge_id>/delete/", views.edge_delete, name="edge_delete"),
    path("<int:workflow_id>/facts/", views.facts, name="facts"),
    path("<int:workflow_id>/history/", views.history, name="history"),
    path("<int:workflow_id>/analysis/", views.analysis_page, name="analysis"),
    path("<int:workflow_id>/diff/", views.diff, name="diff"),
    path("<int:workflow_id>/versions/<int:number>/restore/", views.restore, name="restore"),
    path("<int:workflow_id>/export/", views.export, name="export"),
    path("<int:workflow_id>/delete/", views.delete, name="delete"),
]
