from __future__ import annotations

from django.urls import path, re_path

from . import views

app_name = "psf"
urlpatterns = [
    path("", views.index, name="index"),
    path("cite/", views.cite, name="cite"),
    path("knowledge-check/", views.knowledge_check, name="knowledge_check"),
    re_path(r"^(?P<code>[A-Za-z0-9]+-\d{1,2})/$", views.domain_detail, name="domain"),
]
