from __future__ import annotations

from django.urls import path

from . import views
from .feeds import IssuerFeed, MarkFeed

app_name = "notify"
urlpatterns = [
    path("verify/<str:mark_id>/feed.atom", MarkFeed(), name="mark_feed"),
    path("verify/<str:mark_id>/subscribe", views.subscribe, name="subscribe"),
    path("marks/feed.atom", IssuerFeed(), name="issuer_feed"),
    path("notifications/confirm/<str:token>/", views.confirm, name="confirm"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notifications/webhooks/", views.webhook_list, name="webhook_list"),
    path("notifications/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
]
