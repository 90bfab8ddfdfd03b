"""What the problem API reads and writes."""

from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.core.api.serializers import UserBriefSerializer
from opsdesk.core.models import Team, User
from opsdesk.incidents.models import Category
from opsdesk.problems.models import Problem, ProblemIncident


class LinkSerializer(serializers.ModelSerializer):
    incident = serializers.CharField(source="incident.number")
    via_label = serializers.CharField(source="get_via_display")
    linked_by = UserBriefSerializer(allow_null=True)

    class Meta:
        model = ProblemIncident
        fields = ["incident", "via", "via_label", "reason", "linked_by", "linked_at"]
        read_only_fields = fields


class ProblemSerializer(VersionedSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    assignment_group = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), required=False, allow_null=True
    )
    problem_manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(active=True), required=False, allow_null=True
    )
    incidents = LinkSerializer(source="incident_links", many=True, read_only=True)
    # Annotated by the viewset: incidents that came back after the fix.
    recurrence_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Problem
        fields = [
            "id",
            "number",
            "short_description",
            "description",
            "state",
            "state_label",
            "impact",
            "urgency",
            "priority",
            "category",
            "assignment_group",
            "problem_manager",
            "vendor_reference",
            "failure_timeline",
            "whys",
            "contributing_factors",
            "root_cause",
            "symptoms",
            "workaround",
            "workaround_public",
            "permanent_fix",
            "review_on",
            "accepted_reason",
            "incident_count",
            "outage_minutes",
            "people_affected",
            "opened_at",
            "assessed_at",
            "root_cause_at",
            "fix_started_at",
            "resolved_at",
            "fixed_at",
            "published_at",
            "recurrence_count",
            "closed_at",
            "version",
            "incidents",
        ]
        read_only_fields = [
            "state",
            "priority",
            "accepted_reason",
            "incident_count",
            "outage_minutes",
            "people_affected",
            "opened_at",
            "assessed_at",
            "root_cause_at",
            "fix_started_at",
            "resolved_at",
            "fixed_at",
            "published_at",
            "closed_at",
        ]


class ProblemCreateSerializer(ProblemSerializer):
    incident_numbers = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=list, max_length=500
    )

    class Meta(ProblemSerializer.Meta):
        fields = [
            "short_description",
            "description",
            "impact",
            "urgency",
            "category",
            "assignment_group",
            "problem_manager",
            "incident_numbers",
        ]
        read_only_fields: list[str] = []


class MoveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    review_on = serializers.DateField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField(required=False, min_value=1)
    # On "resolve": resolve the linked open incidents too, with this message to their callers.
    resolve_incidents = serializers.BooleanField(required=False, default=False)
    message = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class LinkInputSerializer(serializers.Serializer):
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=20), min_length=1, max_length=500
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
