from rest_framework import serializers

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.api.base import VersionedSerializer
from opsdesk.core.api.serializers import UserBriefSerializer
from opsdesk.core.models import Team, TimelineEntry, User
from opsdesk.incidents import answers
from opsdesk.incidents.models import (
    AssignmentRule,
    Category,
    HoldReason,
    Incident,
    PostIncidentReview,
    Priority,
    PriorityMatrixRow,
    ResolutionCode,
)

CIs = ConfigurationItem.objects.all()


# Facts the record keeps as it moves (links, timestamps, major-incident state): shown, never
# written directly; services set them.
RECORDED_FACTS = [
    "parent",
    "duplicate_of",
    "opened_at",
    "first_response_at",
    "acknowledged_at",
    "first_assigned_at",
    "first_resolved_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "is_major",
    "major_proposed",
    "major_incident_manager",
    "major_declared_at",
    "major_ended_at",
    "update_cadence_minutes",
    "next_update_due",
    "major_summary",
    "outage_start",
    "outage_end",
    "created_at",
    "updated_at",
]


class IncidentSerializer(VersionedSerializer):
    caller = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, help_text="Defaults to you."
    )
    watchers = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), many=True, required=False
    )
    service = serializers.PrimaryKeyRelatedField(queryset=CIs, required=False, allow_null=True)
    ci = serializers.PrimaryKeyRelatedField(queryset=CIs, required=False, allow_null=True)
    caller_detail = UserBriefSerializer(source="caller", read_only=True, allow_null=True)
    assignee_detail = UserBriefSerializer(source="assignee", read_only=True, allow_null=True)
    # Empty while the incident is not on hold.
    hold_reason = serializers.ChoiceField(
        choices=HoldReason.choices, allow_blank=True, read_only=True
    )
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "number",
            "short_description",
            "description",
            "caller",
            "caller_detail",
            "opened_by",
            "channel",
            "category",
            "subcategory",
            "service",
            "ci",
            "affected_services",
            "impact",
            "urgency",
            "priority",
            "priority_overridden",
            "priority_override_reason",
            "assignment_group",
            "assignee",
            "assignee_detail",
            "escalation_level",
            "state",
            "state_label",
            "hold_reason",
            "resolution_code",
            "resolution_notes",
            "confidential",
            "watchers",
            *RECORDED_FACTS,
            "version",
        ]
        read_only_fields = [
            "number",
            "opened_by",
            "affected_services",
            "priority",
            "priority_overridden",
            "priority_override_reason",
            "escalation_level",
            "state",
            "hold_reason",
            "resolution_code",
            "resolution_notes",
            *RECORDED_FACTS,
        ]


class IncidentCreateSerializer(IncidentSerializer):
    """On create the desk may route straight away; later, routing is the ``assign`` action."""

    assignment_group = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    can_keep_working = serializers.ChoiceField(
        choices=answers.CAN_KEEP_WORKING,
        required=False,
        write_only=True,
        help_text=(
            'The portal\'s question "Can you keep working?", answered instead of ``urgency``: '
            "yes (an annoyance), slow (only slowly or with a workaround), no (blocked). "
            "Requesters answer this; the desk sets impact and urgency."
        ),
    )

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "can_keep_working"]
        read_only_fields = [f for f in IncidentSerializer.Meta.read_only_fields if f != "parent"]


class IncidentUpdateSerializer(IncidentSerializer):
    class Meta(IncidentSerializer.Meta):
        read_only_fields = [
            *IncidentSerializer.Meta.read_only_fields,
            "assignment_group",
            "assignee",
        ]


class VersionField(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


class AssignSerializer(VersionField):
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )


class HoldSerializer(VersionField):
    hold_reason = serializers.ChoiceField(choices=HoldReason.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ResolveSerializer(VersionField):
    resolution_code = serializers.SlugRelatedField(
        slug_field="key", queryset=ResolutionCode.objects.filter(active=True)
    )
    resolution_notes = serializers.CharField(max_length=20000)


class ReasonSerializer(VersionField):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CommentSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


class PrioritySerializer(VersionField):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField(max_length=500)


class DeclareMajorSerializer(VersionField):
    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True
    )
    cadence_minutes = serializers.IntegerField(min_value=5, max_value=1440, default=30)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class StakeholderUpdateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class EndMajorSerializer(serializers.Serializer):
    outage_start = serializers.DateTimeField()
    outage_end = serializers.DateTimeField()
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    impact = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class IncidentRefSerializer(serializers.Serializer):
    incident = serializers.IntegerField(help_text="The other incident's id.")


class TimelineEntrySerializer(serializers.ModelSerializer):
    # No author for entries the system writes.
    author = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "author", "created_at", "body", "data"]


class PostIncidentReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostIncidentReview
        fields = [
            "id",
            "incident",
            "status",
            "summary",
            "impact",
            "timeline",
            "root_cause",
            "follow_up_actions",
            "outage_start",
            "outage_end",
            "version",
        ]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent", "active"]


class ResolutionCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResolutionCode
        fields = ["id", "key", "name", "active", "order"]


class PriorityMatrixRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriorityMatrixRow
        fields = ["id", "impact", "urgency", "priority"]


class AssignmentRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssignmentRule
        fields = [
            "id",
            "name",
            "order",
            "active",
            "category",
            "service",
            "ci",
            "channel",
            "caller_department",
            "keywords",
            "assignment_group",
            "auto_assign",
        ]
