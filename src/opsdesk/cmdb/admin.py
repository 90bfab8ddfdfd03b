from django import forms
from django.contrib import admin

from opsdesk.cmdb.models import CIClass, ConfigurationItem, Relationship, normalise_departments


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


class ConfigurationItemAdminForm(forms.ModelForm):
    """The admin's form (its fields come from the ModelAdmin) with the CMDB's service rules."""

    def clean_consumer_departments(self):
        return normalise_departments(self.cleaned_data.get("consumer_departments") or [])

    def clean(self):
        data = super().clean()
        ci_class = data.get("ci_class")
        if data.get("subscribers") and ci_class is not None and not ci_class.is_service:
            self.add_error("subscribers", "Only business and technical services have subscribers.")
        return data


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    form = ConfigurationItemAdminForm
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
    raw_id_fields = ["service_owner", "subscribers"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [OutgoingInline]


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    list_display = ["source", "type", "target", "created_at"]
    list_filter = ["type"]
    search_fields = ["source__name", "target__name"]
    raw_id_fields = ["source", "target"]
