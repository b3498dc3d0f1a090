"""The MSP's client workspace: /clients/ (overview), branding and launch packs."""

from __future__ import annotations

app_name = "msp"
urlpatterns: list = []
