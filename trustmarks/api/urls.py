from __future__ import annotations

from django.urls import path

from . import views

app_name = "trustmarks_api"
urlpatterns = [
    path("certify/trust-mark/verify", views.TrustMarkVerifyView.as_view(), name="verify"),
    path("certify/status/message", views.MessageListView.as_view(), name="status-message"),
    path("certify/status/revocation", views.RevocationListView.as_view(), name="status-revocation"),
    path("certify/status/suspension", views.SuspensionListView.as_view(), name="status-suspension"),
    path("certify/log/head", views.LogHeadView.as_view(), name="log-head"),
]
