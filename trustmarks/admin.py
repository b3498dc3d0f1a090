"""Read-only admin: trust marks change only through the services (signed lists, audit log)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import LifecycleRequest, StatusListCredential, SurveillanceReview, TrustMark, TrustMarkEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrustMarkEventInline(admin.TabularInline):
    model = TrustMarkEvent
    extra = 0
    can_delete = False
    fields = ("created", "action", "from_status", "to_status", "actor", "reason", "audit_sequence")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TrustMark)
class TrustMarkAdmin(ReadOnlyAdmin):
    list_display = ("mark_id", "company_name", "status", "issued", "expires", "next_review")
    list_filter = ("status",)
    search_fields = ("company_name", "=number")
    exclude = ("credential_jwt",)
    inlines = [TrustMarkEventInline]


@admin.register(StatusListCredential)
class StatusListCredentialAdmin(ReadOnlyAdmin):
    list_display = ("purpose", "flagged", "updated")


@admin.register(LifecycleRequest)
class LifecycleRequestAdmin(ReadOnlyAdmin):
    list_display = ("trust_mark", "action", "state", "requested_by", "created", "decided_by", "decided_at")
    list_filter = ("state", "action")


@admin.register(SurveillanceReview)
class SurveillanceReviewAdmin(ReadOnlyAdmin):
    list_display = ("trust_mark", "reviewer", "created", "evidence_valid", "renewed_at")
