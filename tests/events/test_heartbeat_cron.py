"""Heartbeats on a cron schedule: due times in the job's time zone, missed check-ins, bad input."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import admin, agent
from opsdesk.events.heartbeats import (
    heartbeat_check_in,
    heartbeat_create,
    heartbeat_update,
    heartbeats_check_missed,
)
from opsdesk.events.models import (
    Alert,
    AlertStatus,
    CheckInKind,
    Heartbeat,
    HeartbeatCheckIn,
    HeartbeatStatus,
)
from opsdesk.events.processing import events_process_all

pytestmark = pytest.mark.django_db

WEEKDAYS_0230 = "30 2 * * 1-5"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def nightly(now, *, cron="30 2 * * *", zone="Europe/London", grace=600) -> Heartbeat:
    return heartbeat_create(
        actor=None, name="Nightly backup", cron=cron, timezone=zone, grace_seconds=grace, now=now
    )


def test_a_cron_job_stays_at_its_local_time_when_the_clocks_go_forward_and_back():
    # London is on GMT until 01:00 UTC on 29 March 2026, then on BST (UTC+1).
    heartbeat = nightly(utc(2026, 3, 28, 3, 0))
    assert heartbeat.due_at == utc(2026, 3, 29, 1, 30)  # 02:30 BST, only 22.5 hours later
    heartbeat_check_in(heartbeat=heartbeat, now=utc(2026, 3, 29, 1, 40))
    heartbeat.refresh_from_db()
    assert heartbeat.due_at == utc(2026, 3, 30, 1, 30)

    # Back to GMT at 01:00 UTC on 25 October 2026: the night has 25 hours.
    heartbeat_check_in(heartbeat=heartbeat, now=utc(2026, 10, 24, 1, 40))
    heartbeat.refresh_from_db()
    assert heartbeat.due_at == utc(2026, 10, 25, 2, 30)  # 02:30 GMT
    assert heartbeats_check_missed(now=utc(2026, 10, 25, 2, 35)) == 0
    assert heartbeats_check_missed(now=utc(2026, 10, 25, 2, 40)) == 1


def test_a_time_that_does_not_exist_on_the_spring_night_falls_to_the_first_minute_after():
    heartbeat = nightly(utc(2026, 3, 28, 3, 0), cron="30 1 * * *")
    # 01:30 local does not happen on 29 March; cron runs the job when the clock reaches 02:00.
    assert heartbeat.due_at == utc(2026, 3, 29, 1, 0)


def test_a_weekday_schedule_is_not_missed_over_the_weekend():
    # Friday 27 November 2026, 02:35 in London (GMT): the job has just run.
    heartbeat = nightly(utc(2026, 11, 26, 12, 0), cron=WEEKDAYS_0230)
    heartbeat_check_in(heartbeat=heartbeat, now=utc(2026, 11, 27, 2, 35))
    heartbeat.refresh_from_db()
    assert heartbeat.due_at == utc(2026, 11, 30, 2, 30)  # Monday
    for day in (28, 29):  # Saturday, Sunday
        assert heartbeats_check_missed(now=utc(2026, 11, day, 12, 0)) == 0
    assert heartbeats_check_missed(now=utc(2026, 11, 30, 2, 39)) == 0
    assert heartbeats_check_missed(now=utc(2026, 11, 30, 2, 40)) == 1


def test_a_missed_cron_check_in_raises_an_event_once_the_grace_period_is_over():
    heartbeat = nightly(utc(2026, 11, 26, 12, 0), cron=WEEKDAYS_0230, grace=900)
    assert heartbeat.due_at == utc(2026, 11, 27, 2, 30)
    assert heartbeats_check_missed(now=utc(2026, 11, 27, 2, 44, 59)) == 0
    assert not Alert.objects.exists()

    assert heartbeats_check_missed(now=utc(2026, 11, 27, 2, 45)) == 1
    assert heartbeats_check_missed(now=utc(2026, 11, 27, 3, 0)) == 0  # once
    heartbeat.refresh_from_db()
    assert heartbeat.status == HeartbeatStatus.DOWN
    missed = HeartbeatCheckIn.objects.get(heartbeat=heartbeat, kind=CheckInKind.MISSED)
    assert missed.at == utc(2026, 11, 27, 2, 45)
    events_process_all()
    alert = Alert.objects.get(fingerprint=heartbeat.fingerprint)
    assert (alert.summary, alert.status) == ("Nightly backup did not check in", AlertStatus.OPEN)

    # The late run checks in: the alert resolves and the next weekday is due.
    heartbeat_check_in(heartbeat=heartbeat, now=utc(2026, 11, 27, 3, 10))
    events_process_all()
    alert.refresh_from_db()
    heartbeat.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert (heartbeat.status, heartbeat.due_at) == (HeartbeatStatus.UP, utc(2026, 11, 30, 2, 30))


def test_an_interval_heartbeat_still_counts_from_its_last_check_in():
    start = utc(2026, 11, 26, 12, 0)
    heartbeat = heartbeat_create(
        actor=None, name="Transfer", interval_seconds=3600, grace_seconds=300, now=start
    )
    assert heartbeat.due_at == start + timedelta(hours=1)
    assert heartbeat.schedule == "every 1 hour"
    heartbeat_check_in(heartbeat=heartbeat, now=start + timedelta(minutes=30))
    heartbeat.refresh_from_db()
    assert heartbeat.due_at == start + timedelta(minutes=90)
    assert heartbeats_check_missed(now=start + timedelta(minutes=94)) == 0
    assert heartbeats_check_missed(now=start + timedelta(minutes=95)) == 1


def test_a_new_schedule_counts_from_the_moment_it_is_set():
    start = utc(2026, 11, 26, 12, 0)
    heartbeat = heartbeat_create(actor=None, name="Transfer", interval_seconds=3600, now=start)
    changed = heartbeat_update(
        actor=None,
        heartbeat=heartbeat,
        expected_version=1,
        cron=WEEKDAYS_0230,
        timezone="America/New_York",
        now=start,
    )
    assert changed.due_at == utc(2026, 11, 27, 7, 30)  # 02:30 in New York (UTC-5)
    assert changed.schedule == f"cron '{WEEKDAYS_0230}' (America/New_York)"
    # An edit that leaves the schedule alone keeps the due time.
    renamed = heartbeat_update(
        actor=None, heartbeat=changed, name="Transfer to bank", now=start + timedelta(days=3)
    )
    assert renamed.due_at == utc(2026, 11, 27, 7, 30)
    # Resumed after a pause: the next fire time from the moment it resumes.
    Heartbeat.objects.filter(pk=heartbeat.pk).update(status=HeartbeatStatus.PAUSED)
    resumed = heartbeat_update(
        actor=None, heartbeat=heartbeat, status=HeartbeatStatus.UP, now=utc(2026, 12, 4, 12, 0)
    )
    assert resumed.due_at == utc(2026, 12, 7, 7, 30)  # Monday: 4 December 2026 is a Friday


def test_the_service_refuses_a_bad_schedule_with_field_messages_and_writes_nothing():
    with pytest.raises(ValidationFailed) as refused:
        heartbeat_create(actor=None, name="Broken", cron="every night", timezone="Mars/Olympus")
    assert set(refused.value.fields) == {"cron", "timezone"}
    with pytest.raises(ValidationFailed) as refused:
        heartbeat_create(actor=None, name="Too often", interval_seconds=30)
    assert set(refused.value.fields) == {"interval_seconds"}
    assert not Heartbeat.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"cron": "61 2 * * *"}, "cron", "not a valid cron expression"),
        ({"cron": "0 30 2 * * *"}, "cron", "five fields"),
        ({"cron": "30 2 31 2 *"}, "cron", "not a valid cron expression"),
        ({"cron": WEEKDAYS_0230, "timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"cron": WEEKDAYS_0230, "timezone": ""}, "timezone", ""),
        ({"interval_seconds": 30}, "interval_seconds", "at least 60 seconds"),
    ],
)
def test_api_refuses_a_bad_schedule_with_a_field_message(body, field, words):
    cache.clear()
    response = client_for(admin()).post(
        "/api/events/heartbeats/", {"name": "Payroll", **body}, format="json"
    )
    error = assert_error_shape(response, 400, field=field)
    assert words in " ".join(error["fields"][field]).lower()
    assert not Heartbeat.objects.exists()


def test_api_takes_a_cron_schedule_and_refuses_a_bad_edit_without_changing_anything():
    cache.clear()
    client = client_for(admin())
    response = client.post(
        "/api/events/heartbeats/",
        {"name": "Payroll", "cron": f"  {WEEKDAYS_0230} ", "timezone": "Europe/London"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["cron"] == WEEKDAYS_0230
    assert body["schedule"] == f"cron '{WEEKDAYS_0230}' (Europe/London)"
    heartbeat = Heartbeat.objects.get()
    local = heartbeat.due_at.astimezone(ZoneInfo("Europe/London"))
    assert (local.hour, local.minute, local.weekday() < 5) == (2, 30, True)

    url = f"/api/events/heartbeats/{heartbeat.pk}/"
    refused = client.patch(url, {"timezone": "Europe/Londn", "version": 1}, format="json")
    assert_error_shape(refused, 400, field="timezone")
    heartbeat.refresh_from_db()
    assert (heartbeat.timezone, heartbeat.version) == ("Europe/London", 1)

    # Back to an interval: clearing cron with too short an interval is refused too.
    refused = client.patch(url, {"cron": "", "interval_seconds": 10}, format="json")
    assert_error_shape(refused, 400, field="interval_seconds")
    assert client.patch(url, {"cron": "", "version": 1}, format="json").json()["schedule"] == (
        "every 1 day"
    )
    # Agents read heartbeats but do not change them.
    assert client_for(agent()).patch(url, {"cron": WEEKDAYS_0230}, format="json").status_code == 403


def test_heartbeat_pages_show_the_schedule():
    heartbeat_create(actor=None, name="Payroll", cron=WEEKDAYS_0230, timezone="Europe/London")
    heartbeat_create(actor=None, name="Transfer", interval_seconds=86400)
    client = Client()
    client.force_login(agent())
    page = client.get("/events/heartbeats/").content.decode()
    assert f"cron &#x27;{WEEKDAYS_0230}&#x27; (Europe/London)" in page
    assert "every 1 day" in page
    detail = client.get(f"/events/heartbeats/{Heartbeat.objects.get(name='Payroll').pk}/")
    assert "(Europe/London), grace 3600 s" in detail.content.decode()
