from __future__ import annotations

from django.urls import path

from . import views

app_name = "credentials_api"
urlpatterns = [
    path("certify/credential/verify", views.CredentialVerifyView.as_view(), name="verify"),
]
