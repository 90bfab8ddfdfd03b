"""Events rolled up into daily counts: the noise figures read months of events from a few
rows, stay right after the raw events are purged, and count each event exactly once."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from opsdesk.events.models import Event
from opsdesk.reporting.models import EventCount
from opsdesk.reporting.services.event_counts import (
    counted_up_to,
    event_counts_catch_up,
    event_counts_roll_up,
)
from tests.access.test_lifecycle import run_periodic_tasks_at
from tests.reporting.test_noise import alert_with_events, figures, stream  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("group_by", ["", "service", "day", "week", "team"])
def test_rolled_up_figures_equal_the_raw_ones(stream, group_by):  # noqa: F811
    before = figures("noise_reduction", group_by=group_by)
    assert event_counts_catch_up() == 14  # the 13 events of 10 March and 1 of the 11th
    assert counted_up_to() == Event.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert figures("noise_reduction", group_by=group_by) == before


def test_figures_outlive_the_raw_events(stream):  # noqa: F811
    before = figures("alerts_per_event")
    event_counts_catch_up()
    Event.objects.all().delete()  # the retention purge, days later
    # Prometheus 4 alerts ÷ 10 events, Zabbix 3 ÷ 3, as before the purge.
    assert figures("alerts_per_event") == before
    assert before[1][0] == 13


def test_each_event_is_counted_once_and_a_pending_one_waits(stream):  # noqa: F811
    integration = stream["zabbix"]
    event_counts_catch_up()
    alert = alert_with_events(integration, "z9", 2)
    waiting = Event.objects.filter(alert=alert).order_by("pk").first()
    Event.objects.filter(pk=waiting.pk).update(state="pending", alert=None)
    # The first new event is still pending: nothing after the mark may be counted yet.
    assert event_counts_roll_up() == 0
    assert event_counts_roll_up() == 0
    Event.objects.filter(pk=waiting.pk).update(state="processed", alert=alert)
    assert event_counts_catch_up() == 2
    assert event_counts_catch_up() == 0
    rows, _ = figures("alerts_per_event")
    # Zabbix now: 3 + 1 alerts over 3 + 2 events, counted once each.
    assert rows["Zabbix"][:2] == (5, 4)
    assert sum(EventCount.objects.values_list("events", flat=True)) == 16


def test_a_batch_smaller_than_the_backlog_takes_several_runs(stream):  # noqa: F811
    assert event_counts_roll_up(batch=5) == 5
    assert event_counts_catch_up(batch=5) == 9


def test_the_minute_job_rolls_up(stream, monkeypatch):  # noqa: F811
    moment = datetime(2026, 3, 12, 8, 1, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    run_periodic_tasks_at(moment)
    assert sum(EventCount.objects.values_list("events", flat=True)) == 14
