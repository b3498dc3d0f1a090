from __future__ import annotations

from django.apps import AppConfig


class TrustmarksConfig(AppConfig):
    name = "trustmarks"
