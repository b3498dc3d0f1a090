from __future__ import annotations

from django.urls import path

from . import views
from .api.tlog_views import LogKeyView
from .api.views import JwksView

app_name = "trustmarks"
urlpatterns = [
    path(".well-known/jwks.json", JwksView.as_view(), name="jwks"),
    path(".well-known/tlog-key", LogKeyView.as_view(), name="tlog-key"),
    path("verify/<str:mark_id>", views.record, name="record"),
    path("trust-marks/<str:mark_id>/badge.svg", views.badge, {"fmt": "svg"}, name="badge_svg"),
    path("trust-marks/<str:mark_id>/badge.png", views.badge, {"fmt": "png"}, name="badge_png"),
    path("trust-marks/<str:mark_id>/badge.pdf", views.badge, {"fmt": "pdf"}, name="badge_pdf"),
    path("trust-marks/<str:mark_id>/credential.jwt", views.credential, name="credential"),
    path("trust-marks/", views.assessor_list, name="assessor_list"),
    path("trust-marks/<str:mark_id>/", views.manage, name="manage"),
    path("trust-marks/<str:mark_id>/review/", views.review, name="review"),
    path(
        "trust-marks/<str:mark_id>/requests/<int:request_id>/<str:decision>/",
        views.request_decision,
        name="request_decision",
    ),
    path("trust-marks/<str:mark_id>/<str:action>/", views.transition, name="transition"),
]
