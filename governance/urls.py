from __future__ import annotations

from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("inventory/", views.inventory, name="inventory"),
    path("inventory/new/", views.system_new, name="system_new"),
    path("inventory/export.csv", views.inventory_csv, name="inventory_csv"),
    path("inventory/export.json", views.inventory_json, name="inventory_json"),
    path("inventory/import/", views.inventory_import, name="inventory_import"),
    path("inventory/<int:system_id>/", views.system_detail, name="system"),
    path("inventory/<int:system_id>/edit/", views.system_edit, name="system_edit"),
    path("inventory/<int:system_id>/delete/", views.system_delete, name="system_delete"),
    path("governance/", views.governance_home, name="home"),
    path("governance/self-assessments/start/", views.pai8_start, name="start"),
    path("governance/self-assessments/<int:assessment_id>/", views.pai8_assessment, name="assessment"),
    path("governance/self-assessments/<int:assessment_id>/submit/", views.pai8_submit, name="submit"),
    path(
        "governance/self-assessments/<int:assessment_id>/report.json",
        views.pai8_report_json,
        name="report_json",
    ),
    path(
        "governance/self-assessments/<int:assessment_id>/report.pdf", views.pai8_report_pdf, name="report_pdf"
    ),
    path(
        "governance/self-assessments/<int:assessment_id>/checkpoints/<str:code>/evidence/",
        views.pai8_evidence_add,
        name="evidence_add",
    ),
    path(
        "governance/self-assessments/<int:assessment_id>/checkpoints/<str:code>/evidence/attach/",
        views.pai8_evidence_attach,
        name="evidence_attach",
    ),
    path(
        "governance/self-assessments/<int:assessment_id>/evidence/<int:item_id>/remove/",
        views.pai8_evidence_remove,
        name="evidence_remove",
    ),
    path(
        "governance/self-assessments/<int:assessment_id>/evidence/<int:item_id>/download/",
        views.pai8_evidence_download,
        name="evidence_download",
    ),
    path("governance/actions/new/", views.action_edit, name="action_new"),
    path("governance/actions/<int:action_id>/", views.action_edit, name="action_edit"),
    path("review/pai8/", views.review_list, name="review_list"),
    path("review/pai8/<int:assessment_id>/", views.review, name="review"),
    path(
        "review/pai8/<int:assessment_id>/evidence/<int:item_id>/download/",
        views.review_evidence_download,
        name="review_evidence_download",
    ),
]
