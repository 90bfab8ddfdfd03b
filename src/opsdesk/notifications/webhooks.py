"""Outgoing webhooks: subscriptions, the signed JSON POST, retries and the delivery log.

Each outbox fact whose topic matches a subscription's patterns becomes a ``WebhookDelivery``
in the handler's transaction. The worker POSTs it with ``X-Opsdesk-Signature: sha256=<hex
HMAC-SHA256 of the body with the subscription's secret>`` and ``X-Opsdesk-Timestamp``; any
answer but 2xx is retried with back-off. Addresses on link-local networks (cloud metadata
services live at 169.254.169.254) are refused, and so is loopback unless
``OPSDESK_WEBHOOK_ALLOW_LOOPBACK`` is on.
"""

import fnmatch
import json
import secrets
import time

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbound import signed_post
from opsdesk.core.outbox import backoff
from opsdesk.core.records import record_create, record_delete, record_update
from opsdesk.core.roles import is_admin
from opsdesk.notifications.models import DeliveryState, WebhookDelivery, WebhookSubscription
from opsdesk.notifications.wakeup import wake_after_commit

USER_AGENT = "opsdesk-webhooks/1"


def topic_matches(subscription: WebhookSubscription, topic: str) -> bool:
    return any(fnmatch.fnmatchcase(topic, pattern) for pattern in subscription.topic_patterns)


# --- subscriptions ---------------------------------------------------------------------------
def _require_admin(actor) -> None:
    if actor is not None and not is_admin(actor):
        raise NotPermitted("Only administrators manage webhook subscriptions.")


@transaction.atomic
def webhook_subscription_create(
    *, actor, name: str, url: str, topics: str, secret: str = "", active: bool = True
) -> WebhookSubscription:
    """A new subscription; without a secret one is generated (read it back once, from the API)."""
    _require_admin(actor)
    return record_create(
        WebhookSubscription,
        values={
            "name": name,
            "url": url,
            "topics": topics,
            "secret": secret or secrets.token_hex(32),
            "active": active,
            "created_by": actor,
        },
        actor=actor,
    )


@transaction.atomic
def webhook_subscription_update(
    *, actor, subscription: WebhookSubscription, expected_version=None, **values
) -> WebhookSubscription:
    _require_admin(actor)
    allowed = {"name", "url", "topics", "secret", "active"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(
            "These fields cannot be changed.", fields={f: ["Read-only."] for f in unknown}
        )
    if values.get("secret") == "":
        values.pop("secret")
    return record_update(
        subscription, values=values, actor=actor, expected_version=expected_version
    )


@transaction.atomic
def webhook_subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    _require_admin(actor)
    record_delete(subscription, actor=actor)


# --- fan-out and sending ---------------------------------------------------------------------
def webhook_fan_out(*, event: OutboxEvent) -> int:
    """One delivery per active subscription whose patterns match the topic."""
    body = json.dumps(
        {
            "id": event.pk,
            "topic": event.topic,
            "occurred_at": event.created_at,
            "payload": event.payload,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        sort_keys=True,
    )
    created = 0
    for subscription in WebhookSubscription.objects.filter(active=True):
        if not topic_matches(subscription, event.topic):
            continue
        _, new = WebhookDelivery.objects.get_or_create(
            subscription=subscription,
            source_event_id=event.pk,
            defaults={"topic": event.topic, "body": body, "next_attempt_at": timezone.now()},
        )
        created += int(new)
    if created:
        wake_after_commit()
    return created


def post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST one delivery; returns (HTTP status or None, error text)."""
    subscription = delivery.subscription
    return signed_post(
        subscription.url,
        secret=subscription.secret,
        body=delivery.body.encode(),
        headers={
            "User-Agent": USER_AGENT,
            "X-Opsdesk-Event": delivery.topic,
            "X-Opsdesk-Delivery": str(delivery.pk),
        },
    )


def max_attempts() -> int:
    return int(getattr(settings, "OPSDESK_WEBHOOK_MAX_ATTEMPTS", 12))


def webhooks_send_due(*, now=None, limit: int = 200) -> dict[str, int]:
    from opsdesk.notifications.mailer import claim

    now = now or timezone.now()
    counts = {"delivered": 0, "failed": 0}
    for pk in claim(WebhookDelivery, now=now, limit=limit):
        delivery = WebhookDelivery.objects.select_related("subscription").get(pk=pk)
        if delivery.state != DeliveryState.PENDING:
            continue
        started = time.monotonic()
        status, error = post(delivery)
        duration_ms = int((time.monotonic() - started) * 1000)
        attempts = delivery.attempts + 1
        ok = status is not None and 200 <= status < 300
        values = {
            "attempts": attempts,
            "response_code": status,
            "duration_ms": duration_ms,
            "last_attempt_at": now,
            "leased_until": None,
            "last_error": error[:2000],
        }
        if ok:
            values.update(state=DeliveryState.SENT, delivered_at=now)
            counts["delivered"] += 1
        else:
            dead = attempts >= max_attempts()
            values.update(
                state=DeliveryState.DEAD if dead else DeliveryState.PENDING,
                next_attempt_at=now + backoff(attempts),
            )
            counts["failed"] += 1
        WebhookDelivery.objects.filter(pk=pk).update(**values)
    return counts


def webhook_deliveries_retry(*, ids) -> int:
    return (
        WebhookDelivery.objects.filter(pk__in=list(ids))
        .exclude(state=DeliveryState.SENT)
        .update(
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            leased_until=None,
        )
    )
