"""The Celery app. Tasks take ids and call one service; job state lives in our models."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflowos.settings")

app = Celery("workflowos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
