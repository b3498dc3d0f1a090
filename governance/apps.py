from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """The organisation path (PAI-8): the AI use-case inventory and the governance self-assessment."""

    name = "governance"
    verbose_name = "Governance (PAI-8)"
