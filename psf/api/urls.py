from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("psf/", views.rubric_json, name="api-psf"),
    path("psf/oscal/", views.rubric_oscal, name="api-psf-oscal"),
    path("psf/versions/", views.rubric_versions, name="api-psf-versions"),
]
