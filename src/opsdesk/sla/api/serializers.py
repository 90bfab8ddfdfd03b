from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer, TimerEvent


class BusinessCalendarSerializer(VersionedSerializer):
    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "time_zone",
            "always_open",
            "working_hours",
            "holidays",
            "holiday_country",
            "holiday_subdivision",
            "description",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]


class SlaPolicySerializer(VersionedSerializer):
    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "order",
            "active",
            "record_type",
            "conditions",
            "response_target",
            "response_calendar",
            "resolution_target",
            "resolution_calendar",
            "ola_target",
            "pause_states",
            "response_pause_reasons",
            "resolution_pause_reasons",
            "warning_thresholds",
            "description",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]


class TimerEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimerEvent
        fields = ["at", "kind", "reason", "elapsed", "due_at", "data"]


class SlaTimerSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    remaining = serializers.SerializerMethodField(help_text="Business time left, in seconds.")
    history = TimerEventSerializer(source="events", many=True, read_only=True)

    class Meta:
        model = SlaTimer
        fields = [
            "id",
            "content_type",
            "object_id",
            "record_type",
            "cycle",
            "kind",
            "team",
            "policy",
            "calendar",
            "target",
            "state",
            "started_at",
            "elapsed",
            "due_at",
            "stopped_at",
            "breached_at",
            "warned_threshold",
            "remaining",
            "history",
        ]

    def get_content_type(self, timer) -> str:
        return ".".join(timer.content_type.natural_key())

    def get_remaining(self, timer) -> int | None:
        remaining = self.context["remaining"](timer)
        return None if remaining is None else int(remaining.total_seconds())


class ComputeSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    duration = serializers.DurationField(help_text='e.g. "P3DT4H" or "1 02:00:00"')

    def validate_duration(self, value):
        if value.total_seconds() < 0:
            raise serializers.ValidationError("The duration must not be negative.")
        if value.days > 3650:
            raise serializers.ValidationError("Keep the duration under ten years.")
        return value


class ComputeResultSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    duration = serializers.DurationField()
    due = serializers.DateTimeField()
    due_local = serializers.CharField(help_text="The due time in the calendar's time zone.")
