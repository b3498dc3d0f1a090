from __future__ import annotations

from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("roll-out/", views.roll_out, name="roll_out"),
    path("advise/", views.advise, name="advise"),
]
