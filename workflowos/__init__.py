"""WorkflowOS project package. The Celery app is loaded by ``core.apps.CoreConfig.ready`` rather
than here, so the pure ``workflowos`` CLI never imports Celery or Django."""
