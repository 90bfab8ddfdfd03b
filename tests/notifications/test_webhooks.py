"""Outgoing webhooks against a real HTTP receiver: signed, retried, logged; SSRF refused."""

import hashlib
import hmac

import pytest
from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.outbox import outbox_deliver_due, outbox_publish
from opsdesk.core.testing.api import assert_error_shape
from opsdesk.core.testing.factories import admin
from opsdesk.notifications.models import DeliveryState, WebhookDelivery
from opsdesk.notifications.tasks import send_due
from opsdesk.notifications.webhooks import webhook_subscription_create
from tests.notifications.servers import HookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.OPSDESK_WEBHOOK_ALLOW_LOOPBACK = True
    with HookReceiver() as hooks:
        yield hooks


def publish(topic, **payload):
    with transaction.atomic():
        return outbox_publish(topic=topic, payload=payload)


def test_matching_facts_are_posted_signed_and_retried_until_accepted(receiver):
    boss = admin()
    sub = webhook_subscription_create(
        actor=boss, name="chatops", url=receiver.url, topics="incident.* sla.breached", secret="s3"
    )
    receiver.statuses = [500]
    publish("incident.resolved", incident_id=7, number="INC0000007")
    publish("cmdb.ci_updated", ci_id=1)  # not subscribed
    outbox_deliver_due()
    now = timezone.now()
    send_due(now=now)

    [delivery] = WebhookDelivery.objects.filter(subscription=sub)
    assert delivery.state == DeliveryState.PENDING and delivery.response_code == 500
    assert delivery.attempts == 1 and delivery.next_attempt_at > now
    send_due(now=now)  # back-off not over: no second POST
    assert len(receiver.requests) == 1

    send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and delivery.response_code == 200
    assert delivery.duration_ms is not None and delivery.attempts == 2
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first["body"] == second["body"]
    expected = "sha256=" + hmac.new(b"s3", second["body"], hashlib.sha256).hexdigest()
    assert second["headers"]["X-Opsdesk-Signature"] == expected
    assert second["headers"]["X-Opsdesk-Timestamp"].isdigit()
    assert second["json"]["topic"] == "incident.resolved"
    assert second["json"]["payload"]["number"] == "INC0000007"

    send_due(now=now + timezone.timedelta(hours=2))
    assert len(receiver.requests) == 2  # never again after success


def test_the_delivery_log_is_in_the_api_and_the_page(receiver, api, client):
    boss = admin()
    sub = webhook_subscription_create(
        actor=boss, name="audit", url=receiver.url, topics="incident.opened"
    )
    publish("incident.opened", incident_id=1)
    outbox_deliver_due()
    send_due()
    body = api(boss).get(f"/api/notifications/webhooks/{sub.pk}/deliveries/").json()
    [row] = body["results"]
    assert row["state"] == "sent" and row["response_code"] == 200 and row["duration_ms"] >= 0
    client.force_login(boss)
    page = client.get(f"/notifications/webhooks/{sub.pk}/")
    assert page.status_code == 200 and b"incident.opened" in page.content


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "ftp://example.com/"]
)
def test_metadata_and_link_local_addresses_are_refused(url, api):
    before = WebhookDelivery.objects.count()
    response = api(admin()).post(
        "/api/notifications/webhooks/",
        {"name": "steal", "url": url, "topics": "*"},
        format="json",
    )
    assert_error_shape(response, 400, field="url")
    assert WebhookDelivery.objects.count() == before


def test_loopback_needs_the_setting(settings):
    settings.OPSDESK_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationFailed) as refused:
        webhook_subscription_create(
            actor=admin(), name="local", url="http://127.0.0.1:9/x", topics="*"
        )
    assert "url" in refused.value.fields


def test_a_host_that_later_points_at_metadata_is_not_posted_to(receiver, settings):
    sub = webhook_subscription_create(
        actor=admin(), name="moved", url=receiver.url, topics="incident.*"
    )
    settings.OPSDESK_WEBHOOK_ALLOW_LOOPBACK = False  # the address is checked again on send
    publish("incident.opened", incident_id=1)
    outbox_deliver_due()
    send_due()
    delivery = WebhookDelivery.objects.get(subscription=sub)
    assert delivery.state == DeliveryState.PENDING and "not allowed" in delivery.last_error
    assert receiver.requests == []
