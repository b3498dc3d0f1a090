from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from .models import (
    ApiToken,
    Membership,
    OidcIdentity,
    OidcProvider,
    Organisation,
    PastMembership,
    SsoRemoval,
    User,
)
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
        ("Dates", {"fields": ("last_login", "date_joined", "email_verified")}),
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


class OidcProviderForm(forms.ModelForm):
    """The stored client secret is write-only: typed to set it, never shown back. Prefer naming
    an environment variable (the secret then never enters the database)."""

    issuer = forms.URLField(
        max_length=300,
        assume_scheme="https",
        help_text="The issuer URL exactly as the provider's discovery document states it.",
    )
    client_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current one. Used only when no environment variable is named.",
    )
    clear_client_secret = forms.BooleanField(required=False, help_text="Forget the stored secret.")

    class Meta:
        model = OidcProvider
        fields = [
            "organisation",
            "name",
            "issuer",
            "client_id",
            "client_secret_env",
            "client_secret",
            "clear_client_secret",
            "allowed_domains",
            "default_role",
            "auto_join",
            "enabled",
        ]

    def clean_issuer(self) -> str:
        issuer = str(self.cleaned_data["issuer"]).strip()
        parts = urlsplit(issuer)
        # Plain HTTP only for a provider on this machine (development and tests).
        if parts.scheme != "https" and parts.hostname not in {"localhost", "127.0.0.1", "::1"}:
            raise forms.ValidationError("The issuer must be an https:// URL.")
        if parts.query or parts.fragment:
            raise forms.ValidationError("The issuer URL has no query or fragment.")
        return issuer

    def clean_client_secret_env(self) -> str:
        name = str(self.cleaned_data["client_secret_env"]).strip()
        if name and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise forms.ValidationError("An environment variable name: letters, digits and underscores.")
        return name

    def clean_allowed_domains(self) -> str:
        domains = str(self.cleaned_data["allowed_domains"]).replace(",", "\n").split()
        cleaned = []
        for raw in domains:
            domain = raw.strip().lower().lstrip("@")
            if not re.fullmatch(
                r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}", domain
            ):
                raise forms.ValidationError(f"{raw} is not a domain name (e.g. acme.example).")
            cleaned.append(domain)
        if not cleaned:
            raise forms.ValidationError("Name at least one e-mail domain.")
        return "\n".join(sorted(set(cleaned)))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = data.get("client_secret") or ""
        keeps = bool(self.instance.client_secret) and not data.get("clear_client_secret")
        if not data.get("client_secret_env") and not typed and not keeps:
            self.add_error(
                "client_secret_env", "Name the environment variable holding the secret, or type it."
            )
        return data

    def save(self, commit: bool = True) -> OidcProvider:
        provider = super().save(commit=False)
        typed = self.cleaned_data.get("client_secret") or ""
        if typed:
            provider.client_secret = typed
        elif self.cleaned_data.get("clear_client_secret"):
            provider.client_secret = ""
        else:  # keep what was stored (the field is never rendered back)
            provider.client_secret = (
                OidcProvider.objects.filter(pk=provider.pk).values_list("client_secret", flat=True).first()
                or ""
                if provider.pk
                else ""
            )
        if commit:
            provider.save()
        return provider


@admin.register(OidcProvider)
class OidcProviderAdmin(admin.ModelAdmin):
    """Platform admins (staff) set up each organisation's single sign-on here."""

    form = OidcProviderForm
    list_display = ["name", "organisation", "issuer", "client_id", "secret_source", "auto_join", "enabled"]
    list_filter = ["enabled", "auto_join"]
    search_fields = ["name", "organisation__name", "issuer", "allowed_domains"]
    autocomplete_fields = ["organisation"]

    @admin.display(description="Client secret")
    def secret_source(self, obj: OidcProvider) -> str:
        if obj.client_secret_env:
            state = "set" if os.environ.get(obj.client_secret_env) else "NOT SET"
            return f"env {obj.client_secret_env} ({state})"
        return "stored" if obj.client_secret else "missing"

    def _platform_admin(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._platform_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._platform_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._platform_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._platform_admin(request)


@admin.register(SsoRemoval)
class SsoRemovalAdmin(admin.ModelAdmin):
    """Addresses single sign-on will not re-add; deleting one lets just-in-time membership in again."""

    list_display = ["email", "organisation", "removed", "removed_by"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = ["organisation", "email", "removed", "removed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    """Accounts linked to a provider's subject; deleting one lets the next sign-in link afresh
    (e.g. after the provider recreated the person's account)."""

    list_display = ["user", "provider", "subject", "created", "last_used"]
    search_fields = ["user__email", "subject", "provider__name"]
    readonly_fields = ["provider", "subject", "user", "created", "last_used"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


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
