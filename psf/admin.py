from __future__ import annotations

from django.contrib import admin

from .models import RubricVersion


@admin.register(RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
    list_display = ["framework", "version", "title", "is_current", "loaded_at", "content_hash"]
    readonly_fields = ["framework", "version", "title", "data", "content_hash", "loaded_at", "source"]
    list_filter = ["framework", "is_current"]

    def has_add_permission(self, request: object) -> bool:
        return False  # versions are loaded with `manage.py load_rubric FILE`, validated
