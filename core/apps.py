from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "WorkflowOS core"

    def ready(self) -> None:
        # Load the Celery app so @shared_task binds to it, and the worker heartbeat signals.
        import workflowos.celery  # noqa: F401

        from . import signals  # noqa: F401
