"""Calendars and policies are configuration: administrators edit them here (audited)."""

from django.contrib import admin

from opsdesk.core.admin import AuditedAdmin
from opsdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer, TimerEvent


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country"]
    search_fields = ["name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = [
        "order",
        "name",
        "record_type",
        "response_target",
        "resolution_target",
        "active",
    ]
    list_display_links = ["name"]
    list_filter = ["record_type", "active"]
    ordering = ["order", "id"]


class TimerEventInline(admin.TabularInline):
    model = TimerEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "reason", "elapsed", "due_at", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SlaTimer)
class SlaTimerAdmin(admin.ModelAdmin):
    """Read-only: clocks move only through the SLA engine, which keeps their history."""

    list_display = ["record_type", "object_id", "cycle", "kind", "state", "due_at", "team"]
    list_filter = ["record_type", "kind", "state"]
    inlines = [TimerEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
