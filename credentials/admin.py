from __future__ import annotations

from django.contrib import admin

from .models import ExamAttempt, PersonalCredential


@admin.register(PersonalCredential)
class PersonalCredentialAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: credentials change only through the services (signature, status lists, log)."""

    list_display = ("__str__", "status", "issued", "expires", "listed")
    search_fields = ("holder_name",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ExamAttempt)
class ExamAttemptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("public_id", "user", "started", "submitted", "score", "passed")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
