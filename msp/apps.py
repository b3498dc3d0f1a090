from __future__ import annotations

from django.apps import AppConfig


class MspConfig(AppConfig):
    """The MSP's client workspace: the Clients overview, per-client branding and launch packs."""

    name = "msp"
    verbose_name = "MSP client workspace"
