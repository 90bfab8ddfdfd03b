"""Django admin for configuration data: people, teams, tokens, and a read-only audit view.

Changes made here are audited like any other; the audit trail and the number sequences can
be read but never changed, and the outbox offers only "Retry now" for parked events.
"""

from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from opsdesk.core.audit import audit_record, diff, snapshot
from opsdesk.core.models import ApiToken, AuditEntry, NumberSequence, OutboxEvent, Team, User
from opsdesk.core.outbox import outbox_retry
from opsdesk.core.records import audited_fields


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes from the admin land in the audit trail, in the same transaction."""

    def save_model(self, request, obj, form, change):
        fields = audited_fields(type(obj))
        with transaction.atomic():
            before = {}
            if change:
                before = snapshot(type(obj)._default_manager.get(pk=obj.pk), fields)
                if hasattr(obj, "version"):
                    obj.version += 1
            super().save_model(request, obj, form, change)
            verb = "updated" if change else "created"
            audit_record(
                action=f"{obj._meta.model_name}.{verb}",
                obj=obj,
                changes=diff(before, snapshot(obj, fields)),
                actor=request.user,
            )

    def save_related(self, request, form, formsets, change):
        # Memberships and groups are saved after the row itself, so they are audited here.
        obj = form.instance
        names = [f.name for f in obj._meta.many_to_many]
        before = {n: sorted(getattr(obj, n).values_list("pk", flat=True)) for n in names}
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            after = {n: sorted(getattr(obj, n).values_list("pk", flat=True)) for n in names}
            changes = diff(before, after) if change else diff({}, after)
            if changes:
                audit_record(
                    action=f"{obj._meta.model_name}.related_changed",
                    obj=obj,
                    changes=changes,
                    actor=request.user,
                )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(action=f"{obj._meta.model_name}.deleted", obj=obj, actor=request.user)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "display_name", "email", "department", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "is_vip", "groups", "department"]
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    readonly_fields = ["version", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            "Person",
            {
                "fields": [
                    "display_name",
                    ("first_name", "last_name"),
                    "email",
                    "phone",
                    ("department", "location"),
                    "manager",
                    "time_zone",
                    "is_vip",
                ]
            },
        ),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("History", {"fields": ["version", "last_login", "date_joined"]}),
    ]
    autocomplete_fields = ["manager"]


class MembershipInline(admin.TabularInline):
    model = Team.members.through
    extra = 0
    autocomplete_fields = ["user"]
    verbose_name = "member"


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "type", "lead", "escalation_team", "email"]
    list_filter = ["type"]
    search_fields = ["name", "description", "email"]
    autocomplete_fields = ["lead", "escalation_team"]
    exclude = ["members"]
    inlines = [MembershipInline]
    readonly_fields = ["version", "created_at", "updated_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are created by their owner or ``opsdesk token create``; the hash never shows."""

    list_display = ["name", "user", "key_prefix", "read_only", "created_at", "expires_at"]
    list_filter = ["read_only"]
    search_fields = ["name", "user__username", "key_prefix"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ApiToken._meta.fields if f.name != "key_hash"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        from opsdesk.core.services import token_revoke

        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(actor=request.user, token=token)
            count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "source", "action", "object_type", "object_repr"]
    list_filter = ["source", "object_type", "action"]
    search_fields = ["object_id", "object_repr", "actor_label", "request_id"]
    date_hierarchy = "at"
    actions = None


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "topic", "status", "attempts", "created_at", "next_attempt_at"]
    list_filter = ["status", "topic"]
    search_fields = ["topic"]
    actions = ["retry_now"]

    @admin.action(description="Retry now")
    def retry_now(self, request, queryset):
        count = outbox_retry(event_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} event(s) queued for delivery now.", messages.SUCCESS)


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "last_value"]
