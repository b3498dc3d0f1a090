from __future__ import annotations

from django.contrib import admin

from .models import ImportedResult


@admin.register(ImportedResult)
class ImportedResultAdmin(admin.ModelAdmin):
    list_display = ("id", "organisation", "workflow", "format", "tool", "tool_version", "failing", "created")
    list_filter = ("format",)
    readonly_fields = [f.name for f in ImportedResult._meta.fields]
