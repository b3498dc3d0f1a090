from __future__ import annotations

from django.urls import path

from . import tlog_views, views

app_name = "trustmarks_api"
urlpatterns = [
    path("certify/trust-mark/verify", views.TrustMarkVerifyView.as_view(), name="verify"),
    path("certify/status/message", views.MessageListView.as_view(), name="status-message"),
    path("certify/status/revocation", views.RevocationListView.as_view(), name="status-revocation"),
    path("certify/status/suspension", views.SuspensionListView.as_view(), name="status-suspension"),
    path("certify/log/head", views.LogHeadView.as_view(), name="log-head"),
    path("certify/log/checkpoint", tlog_views.LogCheckpointView.as_view(), name="log-checkpoint"),
    path("certify/log/entries", tlog_views.LogEntriesView.as_view(), name="log-entries"),
    path("certify/log/proof/inclusion", tlog_views.LogInclusionView.as_view(), name="log-inclusion"),
    path("certify/log/proof/consistency", tlog_views.LogConsistencyView.as_view(), name="log-consistency"),
]
