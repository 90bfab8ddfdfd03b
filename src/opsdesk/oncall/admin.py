"""On-call configuration in the admin (audited); the schedule pages show the result."""

from django.contrib import admin

from opsdesk.core.admin import AuditedAdmin
from opsdesk.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    Layer,
    LayerParticipant,
    Override,
    Schedule,
)


class LayerInline(admin.StackedInline):
    model = Layer
    extra = 0
    show_change_link = True


@admin.register(Schedule)
class ScheduleAdmin(AuditedAdmin):
    list_display = ["name", "team", "time_zone"]
    list_filter = ["team"]
    inlines = [LayerInline]


class ParticipantInline(admin.TabularInline):
    model = LayerParticipant
    extra = 1
    ordering = ["position"]


@admin.register(Layer)
class LayerAdmin(AuditedAdmin):
    list_display = ["name", "schedule", "priority", "turn"]
    inlines = [ParticipantInline]


@admin.register(Override)
class OverrideAdmin(AuditedAdmin):
    list_display = ["schedule", "user", "start", "end"]
    list_filter = ["schedule"]


class StepInline(admin.TabularInline):
    model = EscalationStep
    extra = 1
    ordering = ["position"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(AuditedAdmin):
    list_display = ["name", "team", "repeat"]
    list_filter = ["team"]
    inlines = [StepInline]
