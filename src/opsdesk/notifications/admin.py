"""Admin: who hears about what (rules), the wording (templates), webhooks, and the mail log."""

from django.contrib import admin, messages

from opsdesk.core.admin import AuditedAdmin
from opsdesk.notifications.mailer import deliveries_retry
from opsdesk.notifications.models import (
    Delivery,
    NotificationRule,
    NotificationTemplate,
    WebhookDelivery,
    WebhookSubscription,
)
from opsdesk.notifications.webhooks import webhook_deliveries_retry


@admin.register(NotificationRule)
class NotificationRuleAdmin(AuditedAdmin):
    list_display = ["event", "audience", "email", "in_app", "active"]
    list_editable = ["email", "in_app", "active"]
    list_filter = ["event", "audience", "active"]


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(AuditedAdmin):
    list_display = ["event", "subject", "updated_at"]
    readonly_fields = ["version"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AuditedAdmin):
    list_display = ["name", "url", "topics", "active"]
    list_filter = ["active"]
    exclude = ["created_by"]


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """Logs are written by the worker; the admin may only read them and ask for a retry."""

    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    retry_function = None

    @admin.action(description="Retry now")
    def retry(self, request, queryset):
        count = type(self).retry_function(ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"{count} put back in the queue.")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "address", "subject", "state", "attempts", "sent_at"]
    list_filter = ["state", "event"]
    search_fields = ["address", "subject", "record_number", "message_id"]
    retry_function = staticmethod(deliveries_retry)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "subscription", "topic", "state", "response_code", "attempts"]
    list_filter = ["state", "subscription"]
    retry_function = staticmethod(webhook_deliveries_retry)
