"""The outbox: never lost when delivery fails or a worker dies; never sent for a rollback."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from opsdesk.core import outbox
from opsdesk.core.models import OutboxEvent
from opsdesk.core.models.outbox import OutboxStatus
from opsdesk.core.outbox import outbox_deliver_due, outbox_publish, outbox_retry

pytestmark = pytest.mark.django_db

received: list[tuple[str, int]] = []
failures = {"left": 0}


@outbox.outbox_handler("test.thing_happened")
def record_it(*, event_id, topic, payload):
    if failures["left"] > 0:
        failures["left"] -= 1
        raise ConnectionError("mail server down")
    received.append((topic, payload["n"]))


@pytest.fixture(autouse=True)
def _reset():
    received.clear()
    failures["left"] = 0


def publish(n: int) -> OutboxEvent:
    with transaction.atomic():
        return outbox_publish(topic="test.thing_happened", payload={"n": n})


def test_published_event_is_delivered_once():
    event = publish(1)
    assert outbox_deliver_due() == (1, 0)
    assert received == [("test.thing_happened", 1)]
    event.refresh_from_db()
    assert event.status == OutboxStatus.DELIVERED and event.delivered_at is not None
    assert outbox_deliver_due() == (0, 0)
    assert received == [("test.thing_happened", 1)]


def test_rolled_back_transaction_publishes_nothing():
    with pytest.raises(ValueError), transaction.atomic():
        outbox_publish(topic="test.thing_happened", payload={"n": 2})
        raise ValueError("the change failed")
    assert OutboxEvent.objects.count() == 0
    outbox_deliver_due()
    assert received == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        outbox_publish(topic="x", payload={})


def test_failed_delivery_is_retried_with_back_off():
    failures["left"] = 2
    event = publish(3)
    now = timezone.now()
    assert outbox_deliver_due(now=now) == (0, 1)
    event.refresh_from_db()
    assert event.status == OutboxStatus.PENDING
    assert event.attempts == 1
    assert "mail server down" in event.last_error
    assert event.next_attempt_at == now + timedelta(seconds=10)
    # Not due yet: nothing happens.
    assert outbox_deliver_due(now=now + timedelta(seconds=5)) == (0, 0)
    assert outbox_deliver_due(now=now + timedelta(seconds=11)) == (0, 1)
    event.refresh_from_db()
    assert event.next_attempt_at == now + timedelta(seconds=11 + 20)
    assert outbox_deliver_due(now=now + timedelta(minutes=5)) == (1, 0)
    assert received == [("test.thing_happened", 3)]


@override_settings(OUTBOX_MAX_ATTEMPTS=3)
def test_event_is_parked_as_dead_and_can_be_retried():
    failures["left"] = 10
    event = publish(4)
    at = timezone.now()
    for _ in range(3):
        outbox_deliver_due(now=at)
        at += timedelta(hours=2)
    event.refresh_from_db()
    assert event.status == OutboxStatus.DEAD and event.attempts == 3
    assert outbox_deliver_due(now=at) == (0, 0)  # dead events wait for a human
    failures["left"] = 0
    assert outbox_retry(event_ids=[event.id]) == 1
    assert outbox_deliver_due() == (1, 0)
    assert received == [("test.thing_happened", 4)]


def test_worker_dying_mid_delivery_does_not_lose_the_event():
    event = publish(5)
    now = timezone.now()
    # A worker claims the event (takes its lease) and dies before delivering.
    assert outbox._claim(now, limit=10) == [event.id]
    # While the lease holds, no other worker takes it ...
    assert outbox_deliver_due(now=now + timedelta(seconds=30)) == (0, 0)
    # ... and once it runs out, another worker delivers it.
    assert outbox_deliver_due(now=now + timedelta(minutes=6)) == (1, 0)
    assert received == [("test.thing_happened", 5)]


def test_a_retry_skips_the_handlers_that_already_succeeded():
    calls = []

    @outbox.outbox_handler("test.two_handlers")
    def first(*, event_id, topic, payload):
        calls.append("first")

    @outbox.outbox_handler("test.two_handlers")
    def second(*, event_id, topic, payload):
        calls.append("second")
        if calls.count("second") == 1:
            raise TimeoutError("webhook timed out")

    with transaction.atomic():
        outbox_publish(topic="test.two_handlers", payload={})
    now = timezone.now()
    outbox_deliver_due(now=now)
    outbox_deliver_due(now=now + timedelta(minutes=1))
    assert calls == ["first", "second", "second"]


def test_handler_writes_roll_back_with_its_failure():
    from opsdesk.core.models import Team

    @outbox.outbox_handler("test.half_write")
    def half(*, event_id, topic, payload):
        Team.objects.create(name=f"from event {event_id}")
        raise RuntimeError("failed after writing")

    with transaction.atomic():
        outbox_publish(topic="test.half_write", payload={})
    outbox_deliver_due()
    assert not Team.objects.filter(name__startswith="from event").exists()


def test_commit_wakes_the_worker(django_capture_on_commit_callbacks):
    # Tests run Huey in immediate mode, so the wake-up task delivers right after commit.
    with django_capture_on_commit_callbacks(execute=True):
        publish(6)
    assert received == [("test.thing_happened", 6)]
