"""Serializers of the events API; the generic one documents the ingest format."""

from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.events.models import (
    Action,
    Alert,
    Event,
    Heartbeat,
    Integration,
    MaintenanceWindow,
    Rule,
    Severity,
    cron_problem,
    timezone_problem,
)


class GenericEventSerializer(serializers.Serializer):
    """One event in opsdesk's generic JSON format (used for the OpenAPI schema)."""

    summary = serializers.CharField(max_length=1024, help_text="What is wrong, in one line.")
    severity = serializers.ChoiceField(Severity.choices, default=Severity.WARNING)
    action = serializers.ChoiceField(Action.choices, default=Action.TRIGGER)
    dedup_key = serializers.CharField(
        required=False, help_text="Identifies the alert; events with the same key de-duplicate."
    )
    resource = serializers.CharField(required=False, help_text="Host or instance, e.g. a CI name.")
    check = serializers.CharField(required=False, help_text="The check or alert name.")
    description = serializers.CharField(required=False)
    group_key = serializers.CharField(required=False, help_text="For correlation rules.")
    labels = serializers.DictField(child=serializers.CharField(), required=False)
    links = serializers.ListField(child=serializers.DictField(), required=False)
    occurred_at = serializers.DateTimeField(required=False)


class IntegrationSerializer(VersionedSerializer):
    secret = serializers.SerializerMethodField(
        help_text="Shown once, in the answer to create; stored hashed."
    )

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "format",
            "description",
            "active",
            "token",
            "team",
            "rate_limit_per_minute",
            "identity_labels",
            "secret",
            "version",
            "created_at",
        ]
        read_only_fields = ["token", "created_at"]

    def get_secret(self, obj) -> str | None:
        return getattr(obj, "new_secret", None)


class RuleSerializer(VersionedSerializer):
    class Meta:
        model = Rule
        fields = [
            "id",
            "name",
            "order",
            "active",
            "conditions",
            "actions",
            "stop",
            "description",
            "version",
        ]


class MaintenanceWindowSerializer(VersionedSerializer):
    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "name",
            "starts_at",
            "ends_at",
            "weekly",
            "cis",
            "label_matchers",
            "version",
        ]


class HeartbeatSerializer(VersionedSerializer):
    schedule = serializers.CharField(read_only=True, help_text="The schedule in words.")

    class Meta:
        model = Heartbeat
        fields = [
            "id",
            "name",
            "token",
            "interval_seconds",
            "cron",
            "timezone",
            "schedule",
            "grace_seconds",
            "severity",
            "ci",
            "team",
            "status",
            "last_check_in_at",
            "last_started_at",
            "last_duration_seconds",
            "due_at",
            "description",
            "version",
        ]
        read_only_fields = [
            "token",
            "status",
            "last_check_in_at",
            "last_started_at",
            "last_duration_seconds",
            "due_at",
        ]

    def validate_cron(self, value: str) -> str:
        value = " ".join(value.split())
        if value and (problem := cron_problem(value)):
            raise serializers.ValidationError(problem)
        return value

    def validate_timezone(self, value: str) -> str:
        value = value.strip()
        if problem := timezone_problem(value):
            raise serializers.ValidationError(problem)
        return value


class AlertSerializer(serializers.ModelSerializer):
    incident = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "integration",
            "fingerprint",
            "status",
            "severity",
            "highest_severity",
            "classification",
            "resource",
            "check_name",
            "summary",
            "description",
            "group_key",
            "labels",
            "links",
            "first_seen",
            "last_seen",
            "count",
            "expires_at",
            "resolved_at",
            "acknowledged_at",
            "ci",
            "service",
            "team",
            "suppressed_by",
            "flapping",
            "incident",
        ]

    def get_incident(self, obj) -> int | None:
        link = obj.incident_links.first()
        return link.incident_id if link else None


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        exclude = ["delivery_key"]


class DryRunSerializer(serializers.Serializer):
    integration = serializers.PrimaryKeyRelatedField(queryset=Integration.objects.all())
    format = serializers.ChoiceField(
        choices=["generic", "alertmanager", "prometheus", "pagerduty"], required=False
    )
    payload = serializers.JSONField()


class AlertActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(["acknowledge", "resolve", "suppress", "unsuppress"])
