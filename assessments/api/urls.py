from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("assessments/", views.AssessmentListView.as_view(), name="api-assessments"),
    path("assessments/<int:assessment_id>/", views.AssessmentDetailView.as_view(), name="api-assessment"),
    path("review-queue/", views.ReviewQueueView.as_view(), name="api-review-queue"),
]
