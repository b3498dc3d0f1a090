from __future__ import annotations

from django.urls import path

from . import views

app_name = "notify_api"
urlpatterns = [
    path("certify/subscriptions/", views.SubscriptionListView.as_view(), name="subscriptions"),
    path("certify/subscriptions/<int:pk>/", views.SubscriptionDetailView.as_view(), name="subscription"),
    path("certify/subscriptions/<int:pk>/deliveries/", views.DeliveryListView.as_view(), name="deliveries"),
]
