"""Serializers of the on-call API: schedules carry their layers, policies their steps."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.core.api.serializers import UserBriefSerializer
from opsdesk.core.models import Team, User
from opsdesk.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    Layer,
    Override,
    Schedule,
)


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "09:00:00"}
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the layer's zone ("09:00:00"): no offset, so not RFC 3339 ``time``."""


class LayerSerializer(serializers.ModelSerializer):
    handoff_time = LocalTimeField(
        required=False, help_text="Local time of the handoff, for daily and weekly turns."
    )
    participants = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=User.objects.all(),
        help_text="The rotation, in order: the first person takes the first turn.",
    )

    class Meta:
        model = Layer
        fields = [
            "id",
            "name",
            "priority",
            "turn",
            "turn_seconds",
            "handoff_time",
            "rotation_start",
            "time_zone",
            "restrictions",
            "participants",
        ]
        read_only_fields = ["id"]
        # Uniqueness of priority is checked across the whole list by the service.
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        places = sorted(instance.places.all(), key=lambda p: p.position)
        data["participants"] = [p.user_id for p in places]
        data["participant_details"] = UserBriefSerializer([p.user for p in places], many=True).data
        return data


class ScheduleSerializer(VersionedSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    layers = LayerSerializer(many=True, required=False)

    class Meta:
        model = Schedule
        fields = [
            "id",
            "team",
            "name",
            "time_zone",
            "description",
            "layers",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class OverrideSerializer(VersionedSerializer):
    class Meta:
        model = Override
        fields = [
            "id",
            "schedule",
            "user",
            "start",
            "end",
            "note",
            "created_by",
            "created_at",
            "version",
        ]
        read_only_fields = ["created_by", "created_at"]

    def validate(self, attrs):
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end": "The override must end after it starts."})
        return attrs


class EscalationStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationStep
        fields = ["target", "team", "user", "delay_minutes"]


class EscalationPolicySerializer(VersionedSerializer):
    steps = EscalationStepSerializer(many=True, required=False)

    class Meta:
        model = EscalationPolicy
        fields = [
            "id",
            "team",
            "name",
            "repeat",
            "description",
            "steps",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class OnCallNowSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    at = serializers.DateTimeField()
    on_call = UserBriefSerializer(many=True)


class SpanSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    user = UserBriefSerializer()


class GapSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ScheduleSpansSerializer(serializers.Serializer):
    schedule = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    spans = SpanSerializer(many=True)
    gaps = GapSerializer(many=True)
