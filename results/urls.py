from __future__ import annotations

from django.urls import path

from . import views

app_name = "results"
prefix = "studio/<int:workflow_id>/results/"
urlpatterns = [
    path(prefix, views.result_index, name="index"),
    path(prefix + "<int:result_id>/", views.result_detail, name="detail"),
    path(prefix + "<int:result_id>/file/", views.result_file, name="file"),
]
