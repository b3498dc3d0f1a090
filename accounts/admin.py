from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Membership, Organisation, PastMembership, User
from .services.members import membership_end


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_assessor", "is_lead_assessor", "is_staff", "is_active"]
    list_filter = ["is_assessor", "is_lead_assessor", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password", "name")}),
        (
            "Platform roles",
            {"fields": ("is_active", "is_assessor", "is_lead_assessor", "is_staff", "is_superuser")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2", "is_assessor")}),
    )
    filter_horizontal = ()

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        # A membership deleted here still counts for the conflict-of-interest rule.
        if formset.model is Membership:
            instances = formset.save(commit=False)
            for membership in formset.deleted_objects:
                membership_end(membership=membership)
            for instance in instances:
                instance.save()
            formset.save_m2m()
            return
        super().save_formset(request, form, formset, change)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "size_tier", "created"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created", "last_used", "revoked"]
    readonly_fields = ["prefix", "key_hash", "created", "last_used"]
    search_fields = ["user__email", "prefix"]


@admin.register(PastMembership)
class PastMembershipAdmin(admin.ModelAdmin):
    """Read-only: the record the conflict-of-interest rule relies on."""

    list_display = ["user", "organisation", "role", "joined", "ended"]
    search_fields = ["user__email", "organisation__name"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
