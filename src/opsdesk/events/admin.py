from django.contrib import admin

from opsdesk.events.models import Alert, Heartbeat, Integration, MaintenanceWindow, Rule

admin.site.register([Integration, Rule, MaintenanceWindow, Heartbeat])


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["summary", "severity", "status", "count", "last_seen"]
    list_filter = ["status", "severity"]
