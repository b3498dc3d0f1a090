"""The MSP's client workspace: /clients/ (overview), branding and launch packs."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "msp"
urlpatterns = [
    path("clients/", views.clients, name="clients"),
    path("clients/<slug:slug>/branding/", views.client_branding, name="client_branding"),
    path("organisation/branding/", views.branding, name="branding"),
]
