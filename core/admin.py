from __future__ import annotations

from django.contrib import admin

from .models import AuditEvent, WorkerHeartbeat


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["chain", "sequence", "created", "action", "object_type", "object_id", "actor_email"]
    list_filter = ["chain", "action"]
    search_fields = ["object_id", "actor_email", "action"]

    # Append-only: the admin can read the log, never change it.
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "pid", "last_seen"]
