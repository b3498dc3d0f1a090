from __future__ import annotations

from django.urls import path

from . import views

app_name = "credentials"
urlpatterns = [
    path("credentials/", views.ladder, name="ladder"),
    path("credentials/aida/", views.aida, name="aida"),
    path("credentials/aida/attempts/<str:attempt_id>/", views.attempt_page, name="attempt"),
    path("credentials/aida/attempts/<str:attempt_id>/answer/", views.attempt_answer, name="attempt_answer"),
    path("credentials/aida/attempts/<str:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("credentials/mine/", views.mine, name="mine"),
    path("credentials/mine/<str:credential_id>/listing/", views.listing, name="listing"),
    path("credentials/<str:credential_id>/certificate.pdf", views.certificate_pdf, name="certificate"),
    path("credentials/<str:credential_id>/credential.jwt", views.credential_jwt, name="credential_jwt"),
    path("registry/", views.registry, name="registry"),
    path("registry/<str:credential_id>", views.registry_record, name="registry_record"),
]
