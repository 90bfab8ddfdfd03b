"""Reads of the notifications domain, filtered by who is asking."""

from django.contrib.contenttypes.models import ContentType

from opsdesk.core.roles import is_admin
from opsdesk.notifications.models import (
    MANDATORY_EVENTS,
    Channel,
    Delivery,
    Event,
    InAppNotification,
    NotificationPreference,
    SentMail,
    WebhookDelivery,
    WebhookSubscription,
)


def notification_list(*, viewer):
    """The viewer's own in-app notifications, newest first."""
    return InAppNotification.objects.filter(user=viewer)


def notification_unread_count(*, viewer) -> int:
    return InAppNotification.objects.filter(user=viewer, read_at__isnull=True).count()


def preference_matrix(*, user) -> list[dict]:
    """Every event with its channels' on/off state for ``user`` (missing rows mean on)."""
    off = {
        (p.event, p.channel)
        for p in NotificationPreference.objects.filter(user=user, enabled=False)
    }
    return [
        {
            "event": event.value,
            "label": event.label,
            "locked": event in MANDATORY_EVENTS,
            **{channel.value: (event.value, channel.value) not in off for channel in Channel},
        }
        for event in Event
    ]


def subscription_list(*, viewer):
    if not is_admin(viewer):
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.all()


def webhook_delivery_list(*, viewer):
    if not is_admin(viewer):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.select_related("subscription")


def delivery_list(*, viewer):
    if not is_admin(viewer):
        return Delivery.objects.none()
    return Delivery.objects.all()


def sent_mail_list(*, viewer):
    """The development sink's messages, newest first: administrators only."""
    if not is_admin(viewer):
        return SentMail.objects.none()
    return SentMail.objects.all()


def sent_mail_about(*, record, limit: int = 20) -> list:
    """The sink's messages about one record, newest first, for the record's mail log."""
    if record is None or record.pk is None:
        return []
    content_type = ContentType.objects.get_for_model(record)
    return list(
        SentMail.objects.filter(content_type=content_type, object_id=str(record.pk))[:limit]
    )
