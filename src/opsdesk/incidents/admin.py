"""Admin for incident configuration: categories, resolution codes, the matrix, assignment rules."""

from django.contrib import admin

from opsdesk.core.admin import AuditedAdmin
from opsdesk.incidents.models import (
    AssignmentRule,
    Category,
    Incident,
    PostIncidentReview,
    PriorityMatrixRow,
    ResolutionCode,
)


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent", "active"]
    list_filter = ["active", "parent"]
    search_fields = ["name"]


@admin.register(ResolutionCode)
class ResolutionCodeAdmin(AuditedAdmin):
    list_display = ["name", "key", "order", "active"]
    list_editable = ["order", "active"]


@admin.register(PriorityMatrixRow)
class PriorityMatrixAdmin(AuditedAdmin):
    list_display = ["impact", "urgency", "priority"]
    list_editable = ["priority"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(AuditedAdmin):
    list_display = ["order", "name", "assignment_group", "auto_assign", "active"]
    list_display_links = ["name"]
    list_editable = ["order", "active"]
    autocomplete_fields = []
    raw_id_fields = ["service", "ci", "last_assignee"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only: incidents change through the workspace and the API, where the rules live."""

    list_display = ["number", "short_description", "state", "priority", "assignment_group"]
    list_filter = ["state", "priority", "is_major"]
    search_fields = ["number", "short_description"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(AuditedAdmin):
    list_display = ["incident", "status", "outage_start", "outage_end"]
    raw_id_fields = ["incident"]
