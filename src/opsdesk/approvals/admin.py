"""Configuration in the Django admin: schemes with their stages inline, delegations; the
runtime records read-only, for looking into a stuck approval."""

from django.contrib import admin

from opsdesk.approvals.models import (
    Approval,
    ApprovalRequest,
    ApprovalScheme,
    ApprovalStage,
    ApprovalStageRun,
    Delegation,
)


class StageInline(admin.StackedInline):
    model = ApprovalStage
    extra = 0
    ordering = ["position"]
    autocomplete_fields = ["from_users", "fallback_approver", "from_team"]
    fieldsets = [
        (None, {"fields": ["position", "name", "condition"]}),
        ("Rule", {"fields": ["rule", "required_count", "required_percent"]}),
        (
            "Approvers",
            {
                "fields": [
                    "from_manager",
                    "from_team",
                    "from_users",
                    "from_ci_owner",
                    "from_service_owner",
                    "from_answer",
                    "fallback_approver",
                ]
            },
        ),
        ("Time", {"fields": ["timeout_hours", "timeout_action", "reminder_hours"]}),
    ]


@admin.register(ApprovalScheme)
class ApprovalSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "stage_count"]
    list_filter = ["active"]
    search_fields = ["name"]
    exclude = ["version"]
    inlines = [StageInline]

    @admin.display(description="Stages")
    def stage_count(self, obj):
        return obj.stages.count()


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["delegator", "delegate", "starts_on", "ends_on", "reason"]
    autocomplete_fields = ["delegator", "delegate"]
    search_fields = ["delegator__username", "delegate__username"]


class RunInline(admin.TabularInline):
    model = ApprovalStageRun
    extra = 0
    can_delete = False
    fields = ["position", "stage", "state", "started_at", "decided_at", "due_at", "note"]
    readonly_fields = fields


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "subject_type",
        "subject_id",
        "scheme",
        "state",
        "privileged",
        "created_at",
    ]
    list_filter = ["state", "privileged", "scheme"]
    inlines = [RunInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "approver", "state", "decided_via", "created_at", "decided_at"]
    list_filter = ["state", "decided_via"]
    search_fields = ["approver__username"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
