from __future__ import annotations

from django.urls import path

from . import review_views, views

app_name = "assessments"
urlpatterns = [
    # The organisation's side.
    path("assessments/", views.assessment_index, name="list"),
    path("assessments/apply/", views.assessment_apply_view, name="apply"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="detail"),
    path("assessments/<int:assessment_id>/evidence/", views.assessment_evidence, name="evidence"),
    path("assessments/<int:assessment_id>/evidence/add/", views.evidence_add_view, name="evidence_add"),
    path(
        "assessments/<int:assessment_id>/evidence/<int:item_id>/", views.evidence_detail, name="evidence_item"
    ),
    path(
        "assessments/<int:assessment_id>/evidence/<int:item_id>/download/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(
        "assessments/<int:assessment_id>/evidence/<int:item_id>/remove/",
        views.evidence_remove_view,
        name="evidence_remove",
    ),
    path("assessments/<int:assessment_id>/scope/add/", views.scope_add_view, name="scope_add"),
    path("assessments/<int:assessment_id>/scope/map/", views.scope_map_view, name="scope_map"),
    path("assessments/<int:assessment_id>/submit/", views.submit_view, name="submit"),
    path("assessments/<int:assessment_id>/withdraw/", views.withdraw_view, name="withdraw"),
    path(
        "assessments/<int:assessment_id>/clarifications/<int:clarification_id>/answer/",
        views.answer_view,
        name="answer",
    ),
    path("assessments/<int:assessment_id>/reassess/", views.reassess_view, name="reassess"),
    path(
        "assessments/<int:assessment_id>/submissions/<int:number>/", views.submission_view, name="submission"
    ),
    path("assessments/<int:assessment_id>/gap-report/", views.gap_report_view, name="gap_report"),
    path("assessments/<int:assessment_id>/gap-report.pdf", views.gap_report_pdf, name="gap_report_pdf"),
    # The assessors' side.
    path("review/", review_views.queue, name="queue"),
    path("review/<int:assessment_id>/", review_views.review_detail, name="review"),
    path("review/<int:assessment_id>/accept/", review_views.accept_view, name="review_accept"),
    path("review/<int:assessment_id>/scope/", review_views.scope_view, name="review_scope"),
    path("review/<int:assessment_id>/claim/", review_views.claim_view, name="review_claim"),
    path("review/<int:assessment_id>/assign/", review_views.assign_view, name="review_assign"),
    path("review/<int:assessment_id>/scores/", review_views.scores_view, name="review_scores"),
    path("review/<int:assessment_id>/clarify/", review_views.clarify_view, name="review_clarify"),
    path("review/<int:assessment_id>/decide/", review_views.decide_view, name="review_decide"),
]
