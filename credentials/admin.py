from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ExamAttempt, PersonalCredential


class _ReadOnly(admin.ModelAdmin):
    """Read-only: credentials and attempts change only through the services (signature, status
    lists, public log)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PersonalCredential)
class PersonalCredentialAdmin(_ReadOnly):
    list_display = ("__str__", "status", "issued", "expires", "listed")
    search_fields = ("holder_name",)


@admin.register(ExamAttempt)
class ExamAttemptAdmin(_ReadOnly):
    list_display = ("public_id", "user", "started", "submitted", "score", "passed")
