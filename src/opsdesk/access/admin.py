"""Configuration of access in the admin: targets, entitlements, packages, rules."""

from django.contrib import admin

from opsdesk.access.models import (
    AccessPackage,
    BirthrightRule,
    Entitlement,
    ProvisioningTarget,
    SodRule,
)


@admin.register(ProvisioningTarget)
class ProvisioningTargetAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "url", "active"]


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin):
    list_display = ["name", "application", "risk", "owner", "target", "active"]
    list_filter = ["risk", "kind", "active"]
    search_fields = ["name", "application__name"]
    autocomplete_fields = ["owner", "owner_team"]


@admin.register(AccessPackage)
class AccessPackageAdmin(admin.ModelAdmin):
    list_display = ["name", "approval_scheme", "default_duration_days", "active"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["entitlements"]


@admin.register(SodRule)
class SodRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "action", "active"]
    filter_horizontal = ["left", "right"]


@admin.register(BirthrightRule)
class BirthrightRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "active"]
    filter_horizontal = ["entitlements"]
