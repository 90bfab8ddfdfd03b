"""The SLA API: calendars and policies (administrators change, agents read), timers, compute."""

import pytest
from django.urls import reverse

from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape, client_for
from opsdesk.core.testing.factories import admin, agent, requester
from opsdesk.sla import services
from opsdesk.sla.models import BusinessCalendar
from tests.sla.conftest import london
from tests.sla.factories import CalendarFactory, PolicyFactory


class TestCalendarAPI(APICrudSuite):
    basename = "sla-calendar"
    factory = CalendarFactory
    create_data = {
        "name": "Support hours (New York)",
        "time_zone": "America/New_York",
        "working_hours": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]},
        "holiday_country": "US",
    }
    update_data = {"description": "Split shift"}
    invalid_data = {"working_hours": {"mon": [["18:00", "08:00"]]}}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]
    supports_delete = True


class TestPolicyAPI(APICrudSuite):
    basename = "sla-policy"
    factory = PolicyFactory
    invalid_data = {"conditions": {"colour": ["red"]}}

    def make_for_filters(self):
        CalendarFactory()  # a calendar the policy does not use
        return PolicyFactory(response_calendar=CalendarFactory())

    update_data = {"pause_states": ["on_hold", "awaiting_vendor"]}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]

    def create_body(self):
        calendar = CalendarFactory()
        return {
            "name": "Major incidents",
            "record_type": "incident",
            "conditions": {"priority": ["P1"], "caller_vip": True},
            "response_target": "00:15:00",
            "response_calendar": calendar.pk,
            "resolution_target": "04:00:00",
            "resolution_calendar": calendar.pk,
        }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("time_zone", "Mars/Olympus"),
        ("holiday_country", "XX"),
        ("holidays", [{"date": "2025-13-01"}]),
        ("working_hours", {"funday": [["08:00", "18:00"]]}),
        ("working_hours", {"mon": [["08:00", "25:00"]]}),
        ("working_hours", {"mon": [["08:00", "12:00"], ["11:00", "14:00"]]}),
    ],
)
def test_bad_calendars_get_field_errors_and_nothing_is_written(field, value):
    body = {"name": "Bad", "working_hours": {"mon": [["08:00", "18:00"]]}, field: value}
    response = client_for(admin()).post(reverse("sla-calendar-list"), body, format="json")
    assert_error_shape(response, 400, field=field)
    assert not BusinessCalendar.objects.filter(name="Bad").exists()


@pytest.mark.django_db
def test_policy_without_targets_or_calendar_is_refused():
    client = client_for(admin())
    url = reverse("sla-policy-list")
    empty = client.post(url, {"name": "Empty", "record_type": "incident"}, format="json")
    assert_error_shape(empty, 400, field="resolution_target")
    no_calendar = client.post(
        url,
        {"name": "X", "record_type": "incident", "resolution_target": "1:00:00"},
        format="json",
    )
    assert_error_shape(no_calendar, 400, field="resolution_calendar")


@pytest.mark.django_db
def test_a_calendar_in_use_cannot_be_deleted(policies, office):
    before = AuditEntry.objects.count()
    response = client_for(admin()).delete(reverse("sla-calendar-detail", args=[office.pk]))
    assert_error_shape(response, 409)
    assert BusinessCalendar.objects.filter(pk=office.pk).exists()
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_compute_adds_business_time_in_the_calendars_zone(office):
    url = reverse("sla-calendar-compute", args=[office.pk])
    response = client_for(agent()).post(
        url, {"start": "2025-04-17T16:00:00+01:00", "duration": "04:00:00"}, format="json"
    )
    assert response.status_code == 200, response.content
    # Thursday 16:00 + 4 h skips Good Friday, the weekend and Easter Monday.
    assert response.json()["due_local"] == "2025-04-22T10:00:00+01:00"


@pytest.mark.django_db
def test_compute_refuses_bad_input_and_requesters(office):
    url = reverse("sla-calendar-compute", args=[office.pk])
    bad = client_for(agent()).post(url, {"start": "soon", "duration": "-1:00:00"}, format="json")
    error = assert_error_shape(bad, 400)
    assert {"start", "duration"} <= set(error["fields"])
    outsider = client_for(requester()).post(
        url, {"start": "2025-04-17T16:00:00Z", "duration": "1:00:00"}, format="json"
    )
    assert outsider.status_code in (403, 404)


@pytest.mark.django_db
def test_timers_are_listed_per_record_with_history_and_remaining_time(policies, ticket):
    services.sla_start(
        record=ticket,
        record_type="incident",
        attributes={"priority": "P3"},
        at=london(2025, 3, 10, 9),
    )
    client = client_for(agent())
    response = client.get(
        reverse("sla-timer-list"), {"object_id": ticket.pk, "content_type": "core.team"}
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted(r["kind"] for r in rows) == ["resolution", "response"]
    assert all(r["history"][0]["kind"] == "started" for r in rows)
    assert all(r["remaining"] is not None for r in rows)
    assert client.get(reverse("sla-timer-list"), {"object_id": "nope"}).json()["results"] == []
    assert client_for(requester()).get(reverse("sla-timer-list")).status_code == 403
    write = client_for(admin()).post(reverse("sla-timer-list"), {}, format="json")
    assert write.status_code == 405
