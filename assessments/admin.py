"""Django admin for platform admins: read mostly. Transitions go through the services (the review
pages), so the audit log stays complete; submissions, gap reports and activity are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    ActivityEvent,
    Assessment,
    Clarification,
    CriterionScore,
    EvidenceItem,
    GapReport,
    Submission,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EvidenceInline(ReadOnlyInline):
    model = EvidenceItem
    fields = ("criterion", "kind", "title", "original_name", "sha256", "created", "removed_at")
    readonly_fields = fields


class SubmissionInline(ReadOnlyInline):
    model = Submission
    fields = ("number", "snapshot_hash", "submitted_by", "created")
    readonly_fields = fields


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "expedited",
        "assessor",
        "acknowledge_due",
        "review_due",
        "decided_at",
    ]
    list_filter = ["status", "expedited", "size_tier"]
    search_fields = ["organisation__name", "id"]
    list_select_related = ["organisation", "assessor"]
    inlines = [SubmissionInline, EvidenceInline]
    # State lives in the services: changing it here would bypass the audit log.
    readonly_fields = [*(f.name for f in Assessment._meta.fields if f.name != "id"), "scope_workflows"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(_ReadOnlyAdmin):
    list_display = ["assessment", "number", "snapshot_hash", "created"]


@admin.register(GapReport)
class GapReportAdmin(_ReadOnlyAdmin):
    list_display = ["assessment", "created"]


@admin.register(ActivityEvent)
class ActivityEventAdmin(_ReadOnlyAdmin):
    list_display = ["created", "organisation", "assessment", "verb", "text"]
    list_filter = ["verb"]


@admin.register(CriterionScore)
class CriterionScoreAdmin(_ReadOnlyAdmin):
    list_display = ["assessment", "criterion", "score", "scored_by", "updated"]


@admin.register(Clarification)
class ClarificationAdmin(_ReadOnlyAdmin):
    list_display = ["assessment", "asked_at", "answered_at"]
