from django.contrib import admin

from opsdesk.cmdb.models import CIClass, ConfigurationItem, Relationship


@admin.register(CIClass)
class CIClassAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "description"]
    search_fields = ["name", "key"]
    fields = ["key", "name", "description", "attribute_schema"]


class OutgoingInline(admin.TabularInline):
    model = Relationship
    fk_name = "source"
    raw_id_fields = ["target"]
    extra = 0
    verbose_name = "depends on / relates to"


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "ci_class",
        "status",
        "environment",
        "criticality",
        "supporting_team",
        "service_owner",
    ]
    list_filter = ["ci_class", "status", "environment", "criticality", "supporting_team"]
    search_fields = ["name", "description", "vendor", "location"]
    raw_id_fields = ["service_owner"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [OutgoingInline]


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    list_display = ["source", "type", "target", "created_at"]
    list_filter = ["type"]
    search_fields = ["source__name", "target__name"]
    raw_id_fields = ["source", "target"]
