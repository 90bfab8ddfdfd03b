"""The outbox: domain facts written with the change, delivered by the worker afterwards.

Publish with ``outbox_publish`` inside the change's transaction. Handlers register with
``@outbox_handler("incident.resolved")`` in their app's ``handlers.py``, take the event id and
payload, and must be idempotent: delivery is at least once.
"""

import logging
import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from opsdesk.core.audit import jsonable
from opsdesk.core.models import OutboxEvent
from opsdesk.core.models.outbox import OutboxStatus

log = logging.getLogger(__name__)

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
# Called after a publishing transaction commits (the worker queue sets this to wake itself).
_after_commit_hooks: list[Callable[[], None]] = []


def outbox_handler(topic: str):
    """Register a handler for ``topic``; ``"*"`` receives every topic."""

    def register(func: Handler) -> Handler:
        if func not in _handlers[topic]:
            _handlers[topic].append(func)
        return func

    return register


def handlers_for(topic: str) -> list[Handler]:
    return [*_handlers.get(topic, []), *_handlers.get("*", [])]


def handler_name(func: Handler) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def on_published(hook: Callable[[], None]) -> None:
    if hook not in _after_commit_hooks:
        _after_commit_hooks.append(hook)


def _after_commit() -> None:
    """Run each hook once after the transaction commits, however many events it published.

    A hook already waiting in this transaction is not added again. It was registered in a
    savepoint that is still open around this point or already released, so it runs exactly
    when the events published now commit (one wake-up delivers every due event).
    """
    waiting = {entry[1] for entry in connection.run_on_commit}
    for hook in _after_commit_hooks:
        if hook not in waiting:
            transaction.on_commit(hook)


def outbox_publish(*, topic: str, payload: dict) -> OutboxEvent:
    """Write the fact in the caller's transaction: it exists exactly when the change does."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_publish must be called inside the change's transaction")
    event = OutboxEvent.objects.create(
        topic=topic, payload=jsonable(payload), next_attempt_at=timezone.now()
    )
    _after_commit()
    return event


def outbox_publish_many(events: list[tuple[str, dict]]) -> list[OutboxEvent]:
    """``outbox_publish`` for several (topic, payload) facts of one change, in one insert."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_publish must be called inside the change's transaction")
    if not events:
        return []
    now = timezone.now()
    created = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(topic=topic, payload=jsonable(payload), next_attempt_at=now)
            for topic, payload in events
        ]
    )
    _after_commit()
    return created


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s, ... capped at one hour."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 3600))


def _claim(now, limit: int) -> list[int]:
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        due = (
            OutboxEvent.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
            .order_by("id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # Several workers each take different rows instead of waiting on each other.
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        OutboxEvent.objects.filter(id__in=ids).update(leased_until=lease_until)
    return ids


def _deliver(event_id: int, now) -> bool:
    event = OutboxEvent.objects.get(pk=event_id)
    for func in handlers_for(event.topic):
        name = handler_name(func)
        if name in event.done_handlers:
            continue
        try:
            with transaction.atomic():
                func(event_id=event.id, topic=event.topic, payload=event.payload)
                # The handler's own writes and "done" commit together.
                event.done_handlers = [*event.done_handlers, name]
                OutboxEvent.objects.filter(pk=event.pk).update(done_handlers=event.done_handlers)
        except Exception as exc:
            attempts = event.attempts + 1
            dead = attempts >= settings.OUTBOX_MAX_ATTEMPTS
            OutboxEvent.objects.filter(pk=event.pk).update(
                attempts=attempts,
                status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
                next_attempt_at=now + backoff(attempts),
                leased_until=None,
                last_error=f"{name}: {exc!r}\n{traceback.format_exc(limit=5)}"[:4000],
            )
            log.warning(
                "outbox event %s handler %s failed (attempt %s): %r", event.pk, name, attempts, exc
            )
            return False
    OutboxEvent.objects.filter(pk=event.pk).update(
        status=OutboxStatus.DELIVERED,
        delivered_at=timezone.now(),
        attempts=event.attempts + 1,
        leased_until=None,
        last_error="",
    )
    return True


def outbox_deliver_due(*, now=None, limit: int = 200) -> tuple[int, int]:
    """Deliver the events that are due; returns (delivered, failed)."""
    now = now or timezone.now()
    delivered = failed = 0
    for event_id in _claim(now, limit):
        if _deliver(event_id, now):
            delivered += 1
        else:
            failed += 1
    return delivered, failed


def outbox_retry(*, event_ids: list[int]) -> int:
    """Put dead (or waiting) events back in the queue now; returns how many."""
    return (
        OutboxEvent.objects.filter(id__in=event_ids)
        .exclude(status=OutboxStatus.DELIVERED)
        .update(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            leased_until=None,
        )
    )
