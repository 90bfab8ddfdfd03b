"""Outgoing webhooks: subscriptions, the signed JSON POST, retries and the delivery log.

Each outbox fact whose topic matches a subscription's patterns becomes a ``WebhookDelivery``
in the handler's transaction. The worker POSTs it with ``X-Opsdesk-Signature: sha256=<hex
HMAC-SHA256 of the body with the subscription's secret>`` and ``X-Opsdesk-Timestamp``; any
answer but 2xx is retried with back-off. Addresses on link-local networks (cloud metadata
services live at 169.254.169.254) are refused, and so is loopback unless
``OPSDESK_WEBHOOK_ALLOW_LOOPBACK`` is on.
"""

import fnmatch
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbox import backoff
from opsdesk.core.records import record_create, record_delete, record_update
from opsdesk.core.roles import is_admin
from opsdesk.notifications.models import DeliveryState, WebhookDelivery, WebhookSubscription
from opsdesk.notifications.wakeup import wake_after_commit

TIMEOUT_SECONDS = 10
USER_AGENT = "opsdesk-webhooks/1"


def loopback_allowed() -> bool:
    return bool(getattr(settings, "OPSDESK_WEBHOOK_ALLOW_LOOPBACK", False))


def _address_problem(ip: ipaddress._BaseAddress) -> str:
    if ip.is_link_local or (ip.version == 6 and ip.ipv4_mapped and ip.ipv4_mapped.is_link_local):
        return "link-local and cloud-metadata addresses are refused"
    if (ip.is_loopback or ip.is_unspecified) and not loopback_allowed():
        return "loopback addresses are refused"
    return ""


def url_problem(url: str, *, resolve: bool = True) -> str:
    """Why ``url`` may not receive webhooks, or ''. Hosts that do not resolve yet pass here and
    are checked again before every POST."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// address."
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    addresses = [literal] if literal is not None else []
    if literal is None and resolve:
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            infos = []
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for ip in addresses:
        problem = _address_problem(ip)
        if problem:
            return f"This address is not allowed: {problem}."
    return ""


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead past the address check; the receiver must answer itself."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST one delivery; returns (HTTP status or None, error text)."""
    subscription = delivery.subscription
    problem = url_problem(subscription.url)
    if problem:
        return None, problem
    body = delivery.body.encode()
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Opsdesk-Event": delivery.topic,
            "X-Opsdesk-Delivery": str(delivery.pk),
            "X-Opsdesk-Timestamp": str(int(time.time())),
            "X-Opsdesk-Signature": signature(subscription.secret, body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return None, repr(error)


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
