"""What the reporting API answers: metric definitions, their figures and the records behind."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opsdesk.core.api.base import FieldsBuiltOnce
from opsdesk.core.models.tickets import TicketPriority
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.reporting.metrics import Metric, Result
from opsdesk.reporting.metrics.labels import CHANNEL_LABELS
from opsdesk.reporting.models import RecordFact

KINDS = [
    ("duration", "Duration (seconds)"),
    ("ratio", "Ratio (0 to 1)"),
    ("count", "Count"),
]


def number(value):
    """A figure as JSON has it: durations and ratios as floats, counts as integers."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float):
        return value
    return None


@extend_schema_field({"type": "number", "nullable": True})
class NumberField(serializers.Field):
    """A figure: an integer count, or seconds and ratios as decimals; null when empty."""

    def to_representation(self, value):
        return number(value)


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The key of the figure in each row's ``values``.")
    label = serializers.CharField(help_text="The column's heading as people read it.")


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=KINDS,
        help_text="``duration`` figures are seconds, ``ratio`` figures 0 to 1, ``count`` whole "
        "numbers.",
    )
    description = serializers.CharField(help_text="How the number is computed.")
    better = serializers.ChoiceField(
        choices=[("lower", "Lower is better"), ("higher", "Higher is better")]
    )
    target = serializers.FloatField(allow_null=True)
    headline = serializers.CharField(help_text="The column a single figure of it shows.")
    record_types = serializers.ListField(
        child=serializers.CharField(), help_text="The record types it covers; empty: every type."
    )
    columns = serializers.SerializerMethodField()
    has_records = serializers.SerializerMethodField(
        help_text="Whether ``records/`` lists the records behind the number."
    )

    @extend_schema_field(ColumnSerializer(many=True))
    def get_columns(self, metric: Metric) -> list[dict]:
        return [{"key": key, "label": label} for key, label in metric.columns]

    def get_has_records(self, metric: Metric) -> bool:
        return metric.records is not None


class RowSerializer(serializers.Serializer):
    group = serializers.CharField(
        allow_null=True,
        help_text="The group's key: a day (YYYY-MM-DD, the first of its week or month), an id, "
        "a priority, a record type...; null for records without one.",
    )
    label = serializers.CharField(help_text="The group as people read it.")
    values = serializers.DictField(child=NumberField(), help_text="Figure per column key.")


class AppliedFiltersSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    record_type = serializers.CharField(allow_blank=True)
    team = serializers.IntegerField(allow_null=True)
    person = serializers.IntegerField(allow_null=True)
    service = serializers.IntegerField(allow_null=True)
    ci = serializers.IntegerField(allow_null=True)
    priority = serializers.IntegerField(allow_null=True)
    category = serializers.CharField(allow_blank=True)
    channel = serializers.CharField(allow_blank=True)
    group_by = serializers.CharField(allow_blank=True)
    time = serializers.ChoiceField(choices=[("calendar", "Calendar"), ("business", "Business")])


class ResultSerializer(serializers.Serializer):
    """One metric's figures over the filters: a row per group and the total."""

    metric = MetricSerializer()
    filters = AppliedFiltersSerializer()
    rows = RowSerializer(many=True)
    total = serializers.DictField(child=NumberField(), help_text="Figure per column key.")

    def to_representation(self, result: Result):
        filters = result.filters
        keys = [key for key, _ in result.metric.columns]
        return {
            "metric": MetricSerializer(result.metric).data,
            "filters": {
                "start": filters.start.isoformat(),
                "end": filters.end.isoformat(),
                "record_type": filters.record_type,
                "team": filters.team,
                "person": filters.person,
                "service": filters.service,
                "ci": filters.ci,
                "priority": filters.priority,
                "category": filters.category,
                "channel": filters.channel,
                "group_by": filters.group_by,
                "time": "business" if filters.business else "calendar",
            },
            "rows": [
                {
                    "group": None if row.get("group") in (None, "") else str(row["group"]),
                    "label": str(row.get("label", "")),
                    "values": {key: number(row.get(key)) for key in keys},
                }
                for row in result.rows
            ],
            "total": {key: number(result.total.get(key)) for key in keys},
        }


class RecordFactSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A record behind a number, with its milestones and durations (seconds)."""

    record_type_label = serializers.SerializerMethodField()
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True)
    assignee_name = serializers.SerializerMethodField()
    service_name = serializers.CharField(source="service.name", read_only=True, allow_null=True)
    ci_name = serializers.CharField(source="ci.name", read_only=True, allow_null=True)
    priority_label = serializers.SerializerMethodField()
    channel_label = serializers.SerializerMethodField()

    class Meta:
        model = RecordFact
        fields = [
            "id",
            "record_type",
            "record_type_label",
            "record_id",
            "number",
            "short_description",
            "state",
            "is_open",
            "is_cancelled",
            "team",
            "team_name",
            "assignee",
            "assignee_name",
            "service",
            "service_name",
            "ci",
            "ci_name",
            "priority",
            "priority_label",
            "category",
            "channel",
            "channel_label",
            "event_made",
            "opened_at",
            "acknowledged_at",
            "first_response_at",
            "first_resolved_at",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "ack_seconds",
            "ack_business_seconds",
            "response_seconds",
            "response_business_seconds",
            "resolve_seconds",
            "resolve_business_seconds",
            "total_resolve_seconds",
            "total_resolve_business_seconds",
            "paused_seconds",
            "fcr",
            "resolved_by_known_error",
        ]
        read_only_fields = fields

    def get_record_type_label(self, fact) -> str:
        labels = {tt.key: tt.label for tt in ticket_types()}
        return str(labels.get(fact.record_type, fact.record_type))

    def get_assignee_name(self, fact) -> str | None:
        user = fact.assignee
        return (user.get_full_name() or user.get_username()) if user else None

    def get_priority_label(self, fact) -> str | None:
        if fact.priority is None:
            return None
        return str(dict(TicketPriority.choices).get(fact.priority, fact.priority))

    def get_channel_label(self, fact) -> str:
        return CHANNEL_LABELS.get(fact.channel, fact.channel)
