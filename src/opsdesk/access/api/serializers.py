"""What the access management API reads and writes.

People are named by username on the way in (``holder``, ``owner``, ``requested_for``, ``to``)
and shown as ``{id, username, display_name}`` on the way out; every coded value comes with
its label (``state`` and ``state_label``).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opsdesk.access.models import (
    AccessPackage,
    AccessRequest,
    Decision,
    EndReason,
    Entitlement,
    EntitlementKind,
    Grant,
    GrantSource,
    LifecycleEvent,
    NoAnswer,
    ProvisioningStep,
    ProvisioningTarget,
    ReviewCampaign,
    ReviewerSource,
    ReviewItem,
    Risk,
    SodAction,
    SodViolation,
)
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.api.base import FieldsBuiltOnce, VersionedSerializer
from opsdesk.core.api.serializers import UserBriefSerializer
from opsdesk.core.models import Team, User
from opsdesk.core.roles import Role

TEXT = 4000  # the longest reason, comment or justification taken


def _person(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs
    )


def _validate_window(data, start="valid_from", end="valid_to") -> None:
    if data.get(start) and data.get(end) and data[end] <= data[start]:
        raise serializers.ValidationError({end: ["The end must be after the start."]})


# --- entitlements -------------------------------------------------------------------------------
class ApplicationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EntitlementBriefSerializer(serializers.ModelSerializer):
    application = ApplicationBriefSerializer(read_only=True)
    risk_label = serializers.CharField(source="get_risk_display", read_only=True)

    class Meta:
        model = Entitlement
        fields = ["id", "name", "application", "risk", "risk_label"]
        read_only_fields = fields


class EntitlementSerializer(VersionedSerializer):
    application = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(),
        help_text="The id of the application or service CI it gives access to.",
    )
    application_name = serializers.CharField(source="application.name", read_only=True)
    owner = _person(help_text="Username of the person who answers for who holds it.")
    owner_detail = UserBriefSerializer(source="owner", read_only=True)
    owner_team = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team that grants and removes it by hand, by name.",
    )
    kind = serializers.ChoiceField(choices=EntitlementKind.choices, required=False)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    risk_label = serializers.CharField(source="get_risk_display", read_only=True)
    max_duration_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=36500
    )
    target = serializers.SlugRelatedField(
        slug_field="name",
        queryset=ProvisioningTarget.objects.all(),
        required=False,
        allow_null=True,
        help_text="The directory it is provisioned to, by name; empty: provisioned by hand.",
    )
    opsdesk_role = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="One of opsdesk's own roles held as this entitlement "
        f"({', '.join(str(r) for r in Role)}), or empty.",
    )
    holders = serializers.SerializerMethodField(help_text="How many hold it now.")

    class Meta:
        model = Entitlement
        fields = [
            "id",
            "name",
            "description",
            "application",
            "application_name",
            "kind",
            "kind_label",
            "owner",
            "owner_detail",
            "owner_team",
            "risk",
            "risk_label",
            "max_duration_days",
            "needs_justification",
            "target",
            "external_id",
            "opsdesk_role",
            "active",
            "holders",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The pair (application, name) is the service's to check, with a field message.
        validators: list = []

    def get_holders(self, entitlement) -> int:
        annotated = getattr(entitlement, "active_holders", None)
        if annotated is not None:
            return annotated
        return entitlement.grants.filter(state="active").count()


# --- packages and asking for them ----------------------------------------------------------------
class PackageSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    entitlements = EntitlementBriefSerializer(many=True, read_only=True)
    approval_scheme = serializers.CharField(
        source="approval_scheme.name", default=None, allow_null=True, read_only=True
    )
    needs_justification = serializers.SerializerMethodField()
    form_fields = serializers.SerializerMethodField(
        help_text="The questions asked when it is requested (answers go in ``answers``)."
    )

    class Meta:
        model = AccessPackage
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "icon",
            "entitlements",
            "approval_scheme",
            "default_duration_days",
            "max_duration_days",
            "extension_allowed",
            "review_every_days",
            "needs_justification",
            "form_fields",
        ]
        read_only_fields = fields

    def get_needs_justification(self, package) -> bool:
        return any(e.needs_justification for e in package.entitlements.all())

    def get_form_fields(self, package) -> list[dict]:
        from opsdesk.core.formschema import schema_fields

        return schema_fields(package.form) if package.form_id else []


class AccessCheckSerializer(serializers.Serializer):
    requested_for = _person(
        required=False,
        allow_null=True,
        help_text="Username of the person it is for; leave out for yourself.",
    )
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_to = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, data):
        _validate_window(data)
        return data


class AccessOrderSerializer(AccessCheckSerializer):
    justification = serializers.CharField(
        max_length=TEXT, required=False, allow_blank=True, default=""
    )
    answers = serializers.DictField(
        required=False, default=dict, help_text="The package's form answers by field key."
    )
    sod_exception = serializers.CharField(
        max_length=TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why an exception is needed, where a rule asks an extra approval for it.",
    )
    sod_exception_until = serializers.DateField(required=False, allow_null=True)


class ConflictSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField()
    rule = serializers.CharField()
    action = serializers.ChoiceField(choices=SodAction.choices)
    action_label = serializers.CharField()
    blocks = serializers.BooleanField(help_text="True: the request would be refused.")
    entitlements = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()


class CheckResultSerializer(serializers.Serializer):
    conflicts = ConflictSerializer(many=True)
    blocked = serializers.BooleanField(help_text="True when a conflict blocks the request.")


def conflict_data(conflict) -> dict:
    return {
        **conflict.as_data(),
        "action_label": conflict.rule.get_action_display(),
        "blocks": conflict.blocks,
    }


class StoredConflictSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField()
    rule = serializers.CharField()
    action = serializers.ChoiceField(choices=SodAction.choices)
    action_label = serializers.CharField()
    entitlements = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()


# --- requests ----------------------------------------------------------------------------------
class RequestGrantSerializer(serializers.ModelSerializer):
    entitlement = EntitlementBriefSerializer(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    provisioning_label = serializers.CharField(source="get_provisioning_display", read_only=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "entitlement",
            "state",
            "state_label",
            "provisioning",
            "provisioning_label",
            "valid_from",
            "valid_to",
        ]
        read_only_fields = fields


class AccessRequestSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    package = serializers.CharField(source="package.slug", read_only=True)
    package_name = serializers.CharField(source="package.name", read_only=True)
    caller = UserBriefSerializer(read_only=True)
    requested_for = UserBriefSerializer(read_only=True, allow_null=True)
    grants = RequestGrantSerializer(many=True, read_only=True)
    sod_conflicts = serializers.SerializerMethodField(
        help_text="The conflicting duties seen when it was asked for."
    )

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "number",
            "short_description",
            "state",
            "state_label",
            "package",
            "package_name",
            "caller",
            "requested_for",
            "justification",
            "valid_from",
            "valid_to",
            "sod_conflicts",
            "sod_exception",
            "sod_exception_until",
            "opened_at",
            "approved_at",
            "granted_at",
            "closed_at",
            "version",
            "grants",
        ]
        read_only_fields = fields

    @extend_schema_field(StoredConflictSerializer(many=True))
    def get_sod_conflicts(self, request) -> list:
        labels = dict(SodAction.choices)
        return [
            {**conflict, "action_label": str(labels.get(conflict.get("action"), ""))}
            for conflict in request.sod_conflicts or []
        ]


class AccessReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")


# --- grants ------------------------------------------------------------------------------------
class GrantSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    holder = UserBriefSerializer(read_only=True)
    entitlement = EntitlementBriefSerializer(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    request = serializers.CharField(
        source="request.number", default=None, allow_null=True, read_only=True
    )
    granted_by = UserBriefSerializer(read_only=True, allow_null=True)
    provisioning_label = serializers.CharField(source="get_provisioning_display", read_only=True)
    # Empty until the grant ends.
    end_reason = serializers.ChoiceField(
        choices=EndReason.choices, allow_blank=True, read_only=True
    )
    end_reason_label = serializers.CharField(source="get_end_reason_display", read_only=True)
    ended_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "holder",
            "entitlement",
            "state",
            "state_label",
            "source",
            "source_label",
            "request",
            "reason",
            "valid_from",
            "valid_to",
            "approved_by",
            "granted_by",
            "provisioning",
            "provisioning_label",
            "provisioning_error",
            "provisioned_at",
            "deprovisioned_at",
            "started_at",
            "ended_at",
            "end_reason",
            "end_reason_label",
            "ended_by",
            "version",
        ]
        read_only_fields = fields


DIRECT_SOURCES = [
    (GrantSource.RULE.value, GrantSource.RULE.label),
    (GrantSource.BIRTHRIGHT.value, GrantSource.BIRTHRIGHT.label),
    (GrantSource.MIGRATION.value, GrantSource.MIGRATION.label),
]


class GrantCreateSerializer(serializers.Serializer):
    holder = _person(help_text="Username of the person who gets it.")
    entitlement = serializers.PrimaryKeyRelatedField(
        queryset=Entitlement.objects.filter(active=True)
    )
    source = serializers.ChoiceField(
        choices=DIRECT_SOURCES, help_text="Why it is held; requests grant through approval."
    )
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_to = serializers.DateTimeField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    already_provisioned = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The directory has it already (a migration): nothing is written to it.",
    )

    def validate(self, data):
        _validate_window(data)
        return data


# --- provisioning ------------------------------------------------------------------------------
class ProvisioningStepSerializer(serializers.ModelSerializer):
    grant = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    entitlement = EntitlementBriefSerializer(
        source="grant.entitlement", read_only=True, default=None, allow_null=True
    )
    person = UserBriefSerializer(read_only=True)
    target = serializers.CharField(
        source="target.name", default=None, allow_null=True, read_only=True
    )
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    done_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ProvisioningStep
        fields = [
            "id",
            "grant",
            "entitlement",
            "person",
            "target",
            "action",
            "action_label",
            "state",
            "state_label",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "done_at",
            "done_by",
            "batch",
        ]
        read_only_fields = fields


class ProvisioningNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")


# --- reviews -----------------------------------------------------------------------------------
class CampaignSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    owner = UserBriefSerializer(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    no_answer_label = serializers.CharField(source="get_no_answer_display", read_only=True)
    stages = serializers.ListField(child=serializers.ChoiceField(choices=ReviewerSource.choices))
    stage_labels = serializers.SerializerMethodField()
    scope_applications = ApplicationBriefSerializer(many=True, read_only=True)
    scope_packages = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    named_reviewers = UserBriefSerializer(many=True, read_only=True)
    items = serializers.IntegerField(
        source="items_count", read_only=True, help_text="Review items in all stages."
    )
    decided = serializers.IntegerField(source="decided_count", read_only=True)

    class Meta:
        model = ReviewCampaign
        fields = [
            "id",
            "name",
            "owner",
            "state",
            "state_label",
            "stages",
            "stage_labels",
            "scope_applications",
            "scope_packages",
            "scope_privileged",
            "scope_department",
            "named_reviewers",
            "deadline",
            "reminder_days",
            "no_answer",
            "no_answer_label",
            "started_at",
            "closed_at",
            "applied_at",
            "items",
            "decided",
            "version",
        ]
        read_only_fields = fields

    def get_stage_labels(self, campaign) -> list[str]:
        labels = dict(ReviewerSource.choices)
        return [str(labels.get(s, s)) for s in campaign.stages]


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    deadline = serializers.DateTimeField()
    stages = serializers.ListField(
        child=serializers.ChoiceField(choices=ReviewerSource.choices),
        min_length=1,
        max_length=3,
        default=[ReviewerSource.MANAGER.value],
        help_text="Who reviews at each stage, one to three of them.",
    )
    scope_applications = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False, default=list
    )
    scope_packages = serializers.SlugRelatedField(
        slug_field="slug", queryset=AccessPackage.objects.all(), many=True, required=False
    )
    scope_privileged = serializers.BooleanField(required=False, default=False)
    scope_department = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    named_reviewers = _person(many=True, required=False)
    no_answer = serializers.ChoiceField(choices=NoAnswer.choices, default=NoAnswer.KEEP.value)
    reminder_days = serializers.IntegerField(min_value=0, max_value=365, default=3)


class CampaignStartedSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    items = serializers.IntegerField(help_text="Review items sent to reviewers.")


class CampaignClosedSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    undecided = serializers.IntegerField(help_text="Items the no-answer policy decided.")


class CampaignAppliedSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    revoked = serializers.IntegerField()
    shortened = serializers.IntegerField()
    batch = serializers.CharField(help_text="The removals' batch, to follow on provisioning.")


class DryRunChangeSerializer(serializers.Serializer):
    grant = GrantSerializer()
    review_item = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=[Decision.REVOKE, Decision.SHORTEN])
    decision_label = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True, help_text="A shortened grant's end.")
    comment = serializers.CharField()


class CampaignProgressSerializer(serializers.Serializer):
    reviewer = serializers.CharField()
    total = serializers.IntegerField()
    decided = serializers.IntegerField()


class ReviewGrantSerializer(serializers.ModelSerializer):
    holder = UserBriefSerializer(read_only=True)
    entitlement = EntitlementBriefSerializer(read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = Grant
        fields = ["id", "holder", "entitlement", "source", "source_label", "valid_from", "valid_to"]
        read_only_fields = fields


class ReviewItemSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    deadline = serializers.DateTimeField(source="campaign.deadline", read_only=True)
    grant = ReviewGrantSerializer(read_only=True)
    reviewer = UserBriefSerializer(read_only=True)
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)
    decided_by = UserBriefSerializer(read_only=True, allow_null=True)
    delegated_from = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "campaign",
            "campaign_name",
            "deadline",
            "stage",
            "grant",
            "reviewer",
            "decision",
            "decision_label",
            "shorten_to",
            "comment",
            "decided_at",
            "decided_by",
            "by_policy",
            "delegated_from",
            "delegation_reason",
            "applied_at",
        ]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[Decision.KEEP, Decision.REVOKE, Decision.SHORTEN])
    comment = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    shorten_to = serializers.DateTimeField(
        required=False, allow_null=True, help_text="The new end, for ``shorten``."
    )


class DelegateSerializer(serializers.Serializer):
    to = _person(help_text="Username of the person who decides instead.")
    reason = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")


# --- segregation of duties and leavers ---------------------------------------------------------
class ViolationSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name", read_only=True)
    rule_id = serializers.IntegerField(read_only=True)
    action = serializers.CharField(source="rule.action", read_only=True)
    action_label = serializers.CharField(source="rule.get_action_display", read_only=True)
    person = UserBriefSerializer(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    grants = serializers.SerializerMethodField()

    class Meta:
        model = SodViolation
        fields = [
            "id",
            "rule",
            "rule_id",
            "action",
            "action_label",
            "person",
            "state",
            "state_label",
            "grants",
            "found_at",
            "found_by",
            "exception",
            "exception_until",
            "resolved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(RequestGrantSerializer(many=True))
    def get_grants(self, violation) -> list:
        return RequestGrantSerializer(violation.grants.all(), many=True).data


class ScanResultSerializer(serializers.Serializer):
    found = serializers.IntegerField(help_text="New conflicts found.")
    resolved = serializers.IntegerField(help_text="Open conflicts that no longer hold.")


class LeaverSerializer(serializers.ModelSerializer):
    person = UserBriefSerializer(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    grants_ended = serializers.IntegerField(read_only=True)

    class Meta:
        model = LifecycleEvent
        fields = [
            "id",
            "person",
            "kind",
            "kind_label",
            "effective_at",
            "processed_at",
            "batch",
            "grants_ended",
        ]
        read_only_fields = fields
