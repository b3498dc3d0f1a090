from __future__ import annotations

from django.urls import path

from . import pai8, views

urlpatterns = [
    path("psf/", views.rubric_json, name="api-psf"),
    path("psf/oscal/", views.rubric_oscal, name="api-psf-oscal"),
    path("psf/versions/", views.rubric_versions, name="api-psf-versions"),
    path("pai8/", pai8.pai8_json, name="api-pai8"),
    path("pai8/oscal/", pai8.pai8_oscal, name="api-pai8-oscal"),
]
