"""Admin for the service desk's configuration: mailboxes, unprocessed mail, knowledge,
canned responses and surveys (read-only: answers come from callers)."""

from django.contrib import admin, messages
from django.db import transaction

from opsdesk.core.admin import AuditedAdmin
from opsdesk.core.audit import audit_record, diff, snapshot
from opsdesk.core.records import audited_fields
from opsdesk.servicedesk.inbound.services import unprocessed_retry
from opsdesk.servicedesk.models import (
    ArticleCategory,
    CannedResponse,
    KnowledgeArticle,
    Mailbox,
    Survey,
    UnprocessedMail,
)

SECRET_FIELDS = {"imap_password", "inbound_token"}


@admin.register(Mailbox)
class MailboxAdmin(AuditedAdmin):
    list_display = ["name", "address", "active", "imap_enabled", "imap_last_polled_at"]
    readonly_fields = [
        "imap_uidvalidity",
        "imap_last_uid",
        "imap_last_polled_at",
        "imap_last_error",
    ]
    fieldsets = [
        (None, {"fields": ["name", "address", "active", "unknown_sender", "assignment_group"]}),
        ("Mail gateway (HTTP)", {"fields": ["inbound_token"]}),
        (
            "IMAP over TLS",
            {
                "fields": [
                    "imap_enabled",
                    "imap_host",
                    "imap_port",
                    "imap_username",
                    "imap_password",
                    "imap_folder",
                    "imap_verify_tls",
                    "imap_uidvalidity",
                    "imap_last_uid",
                    "imap_last_polled_at",
                    "imap_last_error",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        # Secrets are recorded as "changed", never with their values.
        fields = [f for f in audited_fields(Mailbox) if f not in SECRET_FIELDS]
        with transaction.atomic():
            before = snapshot(Mailbox.objects.get(pk=obj.pk), fields) if change else {}
            if change:
                obj.version += 1
            admin.ModelAdmin.save_model(self, request, obj, form, change)
            changes = diff(before, snapshot(obj, fields))
            for name in SECRET_FIELDS & set(form.changed_data):
                changes[name] = {"from": "***", "to": "***"}
            audit_record(
                action=f"mailbox.{'updated' if change else 'created'}",
                obj=obj,
                changes=changes,
                actor=request.user,
            )


@admin.register(UnprocessedMail)
class UnprocessedMailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "mailbox", "sender", "subject", "reason", "status"]
    list_filter = ["status", "mailbox"]
    search_fields = ["sender", "subject", "reason", "message_id"]
    readonly_fields = [
        "mailbox",
        "received_at",
        "reason",
        "sender",
        "subject",
        "message_id",
        "size",
    ]
    exclude = ["raw"]
    actions = ["process_again", "dismiss"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Process again")
    def process_again(self, request, queryset):
        for item in queryset:
            result = unprocessed_retry(item=item)
            messages.info(request, f"{item.subject or item.pk}: {result.outcome} {result.reason}")

    @admin.action(description="Dismiss")
    def dismiss(self, request, queryset):
        queryset.update(status="dismissed")


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(AuditedAdmin):
    list_display = ["number", "title", "state", "audience", "views", "helpful_yes", "helpful_no"]
    list_filter = ["state", "audience", "category"]
    search_fields = ["number", "title", "keywords"]
    # The state moves only through the review workflow on the article page.
    readonly_fields = ["number", "state", "views", "helpful_yes", "helpful_no", "published_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            from opsdesk.core.numbering import number_next

            obj.number = number_next(prefix=KnowledgeArticle.NUMBER_PREFIX)
        super().save_model(request, obj, form, change)


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(AuditedAdmin):
    list_display = ["__str__", "parent"]
    search_fields = ["name"]


@admin.register(CannedResponse)
class CannedResponseAdmin(AuditedAdmin):
    list_display = ["title", "team", "active"]
    list_filter = ["active", "team"]
    search_fields = ["title", "body"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["number", "record_type", "caller", "rating", "answered_at", "expires_at"]
    list_filter = ["rating", "record_type"]
    readonly_fields = [f.name for f in Survey._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
