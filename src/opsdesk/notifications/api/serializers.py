"""Serializers of the notifications API."""

from rest_framework import serializers

from opsdesk.core.api.base import VersionedSerializer
from opsdesk.notifications.models import (
    Channel,
    Delivery,
    Event,
    InAppNotification,
    WebhookDelivery,
    WebhookSubscription,
)


class InAppNotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = InAppNotification
        fields = [
            "id",
            "event",
            "title",
            "body",
            "record_number",
            "url",
            "created_at",
            "read_at",
            "read",
        ]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        # Bounded like a database id: a larger number overflows SQLite's integer and, inside
        # the request's transaction, broke the requests after it.
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        help_text="Omit to mark all read.",
    )


class PreferenceSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=Event.choices)
    label = serializers.CharField(read_only=True)
    locked = serializers.BooleanField(read_only=True)
    email = serializers.BooleanField(read_only=True)
    in_app = serializers.BooleanField(read_only=True)


class PreferenceChangeSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=Event.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    enabled = serializers.BooleanField()


class WebhookSubscriptionSerializer(VersionedSerializer):
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=128,
        help_text="HMAC key; generated when left out. Never read back.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "topics", "secret", "active", "created_at", "version"]
        read_only_fields = ["id", "created_at"]
        # The services validate (uniqueness, address guard) and answer with field errors.
        extra_kwargs = {"name": {"validators": []}}


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "source_event_id",
            "topic",
            "state",
            "attempts",
            "response_code",
            "duration_ms",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "address",
            "subject",
            "record_number",
            "state",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "sent_in",
            "message_id",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields
