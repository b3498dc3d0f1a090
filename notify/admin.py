from __future__ import annotations

from django.contrib import admin

from .models import EmailSubscription, ExpiryReminder, WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "trust_mark", "url", "active", "created")
    list_filter = ("active",)
    exclude = ("secret",)  # never shown again after creation
    readonly_fields = ("owner", "trust_mark", "url", "events", "created")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "msg_id",
        "subscription",
        "event_type",
        "status",
        "attempts",
        "next_attempt",
        "last_status_code",
    )
    list_filter = ("status", "event_type")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


@admin.register(EmailSubscription)
class EmailSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("email", "trust_mark", "confirmed", "created")
    exclude = ("token",)


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(admin.ModelAdmin):
    list_display = ("trust_mark", "threshold_days", "expires", "days_left", "recipients", "sent")
