from __future__ import annotations

from django.urls import path, re_path

from . import views_pai8

app_name = "pai8"
urlpatterns = [
    path("", views_pai8.index, name="index"),
    re_path(r"^(?P<code>[Cc]\d{1,2})/$", views_pai8.control_detail, name="control"),
]
