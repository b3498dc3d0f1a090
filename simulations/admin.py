from __future__ import annotations

from django.contrib import admin

from .models import SimulationRun


@admin.register(SimulationRun)
class SimulationRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "workflow",
        "organisation",
        "n",
        "seed",
        "status",
        "passed",
        "progress_done",
        "created",
    )
    list_filter = ("status", "passed", "organisation")
    search_fields = ("workflow__name", "workflow_hash", "report_hash", "task_id")
    raw_id_fields = ("workflow", "version", "created_by", "organisation")
    # A run is evidence: its inputs and result are read-only here too.
    readonly_fields = (
        "workflow_hash",
        "catalogue_version",
        "seed",
        "n",
        "params",
        "report",
        "report_hash",
        "passed",
        "journal_name",
        "journal_hash",
        "attempts",
        "task_id",
        "created",
        "started",
        "finished",
        "heartbeat",
    )
