"""The periodic check: warnings at 50/75/90 % and the breach, each published exactly once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from opsdesk.core.models import OutboxEvent
from opsdesk.core.testing.factories import TeamFactory
from opsdesk.sla import services
from opsdesk.sla.models import SlaTimer
from opsdesk.sla.tasks import sla_check
from tests.sla.conftest import london

M = timedelta(minutes=1)


def published(topic):
    return [e.payload for e in OutboxEvent.objects.filter(topic=topic).order_by("id")]


def start_p1(ticket, at):
    return services.sla_start(
        record=ticket, record_type="incident", attributes={"priority": "P1"}, at=at
    )


@pytest.mark.django_db
def test_each_threshold_and_the_breach_are_published_once(policies, ticket):
    start_p1(ticket, london(2025, 3, 10, 9))  # response due 09:30, resolution 13:00
    for minute in range(0, 60, 1):  # every minute from 09:00 to 09:59
        services.sla_check_due(now=london(2025, 3, 10, 9) + minute * M)
    warnings = [(w["kind"], w["threshold"]) for w in published("sla.warning")]
    assert warnings == [("response", 50), ("response", 75), ("response", 90)]
    breaches = published("sla.breached")
    assert [(b["kind"], b["breached_at"]) for b in breaches] == [
        ("response", "2025-03-10T09:30:00Z")
    ]
    assert breaches[0]["object_id"] == str(ticket.pk)
    assert breaches[0]["record_type"] == "incident"


@pytest.mark.django_db
def test_running_the_check_twice_publishes_once(policies, ticket):
    start_p1(ticket, london(2025, 3, 10, 9))
    now = london(2025, 3, 10, 11, 1)  # response overdue, resolution just past 50 %
    first = services.sla_check_due(now=now)
    second = services.sla_check_due(now=now)
    assert first == {"warning": 1, "breached": 1} and second == {"warning": 0, "breached": 0}
    assert len(published("sla.breached")) == 1


@pytest.mark.django_db
def test_a_late_worker_sends_only_the_highest_missed_warning(policies, ticket):
    start_p1(ticket, london(2025, 3, 10, 9))
    services.sla_check_due(now=london(2025, 3, 10, 12, 30))  # resolution at 87.5 %
    resolution = [w for w in published("sla.warning") if w["kind"] == "resolution"]
    assert [w["threshold"] for w in resolution] == [75]
    timer = SlaTimer.objects.get(kind="resolution")
    assert [e.kind for e in timer.events.all()] == ["started", "warning"]


@pytest.mark.django_db
def test_the_breach_is_recorded_in_the_timer_history(policies, ticket):
    start_p1(ticket, london(2025, 3, 10, 9))
    services.sla_check_due(now=london(2025, 3, 10, 14))
    timer = SlaTimer.objects.get(kind="resolution")
    breach = timer.events.get(kind="breached")
    assert breach.at == london(2025, 3, 10, 13)
    assert timer.state == "running"  # still counting until the record is resolved


@pytest.mark.django_db
def test_the_periodic_task_runs_the_check(policies, ticket):
    start_p1(ticket, london(2020, 1, 6, 9))  # long overdue by now
    sla_check.call_local()
    assert len(published("sla.breached")) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_publish_each_breach_once(postgres_only, policies):
    tickets = [TeamFactory() for _ in range(20)]
    for ticket in tickets:
        start_p1(ticket, london(2025, 3, 10, 9))
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            services.sla_check_due(now=london(2025, 3, 10, 14))
        except Exception as error:  # surfaced below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    breaches = published("sla.breached")
    assert len(breaches) == 40  # a response and a resolution breach per ticket, no more
    assert len({b["timer_id"] for b in breaches}) == 40
