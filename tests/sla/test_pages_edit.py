"""Adding and changing business calendars and SLA policies from their pages."""

from datetime import timedelta

import pytest
from django.urls import reverse

from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import admin, agent, requester
from opsdesk.incidents import services as incident_services
from opsdesk.sla.forms import format_holidays, format_working_hours
from opsdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db

CALENDAR = {
    "name": "Service desk",
    "time_zone": "Europe/Paris",
    "working_hours": "Mon-Fri 08:00-12:00, 13:00-17:00\nSat 09:00-24:00\nSun closed",
    "holidays": "2025-12-24 Christmas Eve\n2025-12-31",
    "holiday_country": "fr",
    "holiday_subdivision": "",
    "description": "",
}


def signed_in(client, user):
    client.force_login(user)
    return client


def calendar_post(**changes) -> dict:
    return {**CALENDAR, **changes}


def edit_post(calendar: BusinessCalendar, **changes) -> dict:
    """What the edit page posts when the user changes ``changes`` on the loaded form."""
    loaded = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "working_hours": format_working_hours(calendar.working_hours),
        "holidays": format_holidays(calendar.holidays),
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
        "description": calendar.description,
        "version": calendar.version,
    }
    return {**loaded, **changes}


# --- calendars ----------------------------------------------------------------------------------
def test_admin_adds_a_calendar_with_split_hours_and_holidays(client):
    c = signed_in(client, admin())
    assert c.get(reverse("sla:calendar-create")).status_code == 200
    response = c.post(reverse("sla:calendar-create"), calendar_post())
    calendar = BusinessCalendar.objects.get(name="Service desk")
    assert response.status_code == 302
    assert response["Location"] == reverse("sla:calendar-detail", args=[calendar.pk])
    assert calendar.time_zone == "Europe/Paris"
    assert calendar.working_hours["wed"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert calendar.working_hours["sat"] == [["09:00", "24:00"]]
    assert "sun" not in calendar.working_hours
    assert calendar.holidays == [
        {"date": "2025-12-24", "name": "Christmas Eve"},
        {"date": "2025-12-31", "name": ""},
    ]
    assert calendar.holiday_country == "FR"
    assert AuditEntry.objects.filter(action="businesscalendar.created").exists()
    page = c.get(response["Location"])
    assert b"08:00\xe2\x80\x9312:00, 13:00\xe2\x80\x9317:00" in page.content


def test_edit_form_shows_the_calendar_as_lines_and_saves_a_change(client):
    calendar = CalendarFactory(
        name="Office", holidays=[{"date": "2025-04-18", "name": "Good Friday"}]
    )
    c = signed_in(client, admin())
    form = c.get(reverse("sla:calendar-edit", args=[calendar.pk]))
    text = form.content.decode()
    assert "Mon 08:00-18:00\nTue 08:00-18:00" in text and "2025-04-18 Good Friday" in text
    response = c.post(
        reverse("sla:calendar-edit", args=[calendar.pk]),
        edit_post(calendar, time_zone="Europe/London", working_hours="Mon-Thu 07:30-16:00"),
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.version == 2
    assert calendar.working_hours == {d: [["07:30", "16:00"]] for d in ("mon", "tue", "wed", "thu")}
    assert AuditEntry.objects.filter(action="businesscalendar.updated").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Europe/Atlantis", "is not a time zone"),
        ("working_hours", "Mon 08:00-12:00, 11:00-14:00", "Line 1: the hours of Mon overlap."),
        ("working_hours", "Mon-Fri 08:00-18:00\nWed 19:00-20:00", "Line 2: Wed is given twice."),
        ("working_hours", "Mon 08:00-12:00\nTue 8h-12h", "Line 2: '8h' is not a time"),
        ("working_hours", "Mon 22:00-06:00", "ends before it starts"),
        ("working_hours", "Funday 08:00-12:00", "is not a weekday"),
        ("working_hours", "", "Give at least one working interval"),
        ("holidays", "2025-12-24 Christmas Eve\n24/12/2025", "Line 2: '24/12/2025' is not a date"),
        ("holiday_country", "XX", "is not a known country code"),
    ],
)
def test_bad_calendar_input_is_shown_by_the_field_and_nothing_is_written(
    client, field, value, message
):
    c = signed_in(client, admin())
    response = c.post(reverse("sla:calendar-create"), calendar_post(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not BusinessCalendar.objects.exists()


def test_bad_edit_leaves_the_calendar_as_it_was(client):
    calendar = CalendarFactory(name="Office")
    c = signed_in(client, admin())
    response = c.post(
        reverse("sla:calendar-edit", args=[calendar.pk]),
        edit_post(calendar, time_zone="Mars/Olympus", working_hours="Mon 09:00-08:00"),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"time_zone", "working_hours"}
    fresh = BusinessCalendar.objects.get(pk=calendar.pk)
    assert (fresh.version, fresh.time_zone) == (1, "Europe/London")
    assert not AuditEntry.objects.filter(action="businesscalendar.updated").exists()


def test_a_stale_calendar_edit_is_refused_with_a_message(client):
    calendar = CalendarFactory(name="Office")
    c = signed_in(client, admin())
    first = c.post(
        reverse("sla:calendar-edit", args=[calendar.pk]), edit_post(calendar, description="A")
    )
    assert first.status_code == 302
    # The second editor loaded the page before the first one saved.
    second = c.post(
        reverse("sla:calendar-edit", args=[calendar.pk]),
        edit_post(calendar, time_zone="Asia/Tokyo"),
    )
    assert second.status_code == 200
    assert "was changed by someone else" in second.content.decode()
    fresh = BusinessCalendar.objects.get(pk=calendar.pk)
    assert (fresh.version, fresh.time_zone, fresh.description) == (2, "Europe/London", "A")


def test_only_administrators_change_calendars(client):
    calendar = CalendarFactory(name="Office")
    for user in (agent(), requester()):
        c = signed_in(client, user)
        assert c.get(reverse("sla:calendar-create")).status_code == 403
        assert c.post(reverse("sla:calendar-create"), calendar_post()).status_code == 403
        edit = reverse("sla:calendar-edit", args=[calendar.pk])
        assert c.get(edit).status_code == 403
        assert c.post(edit, edit_post(calendar, time_zone="Asia/Tokyo")).status_code == 403
    assert BusinessCalendar.objects.get().time_zone == "Europe/London"
    agent_view = signed_in(client, agent()).get(reverse("sla:calendar-list"))
    assert b"Add a calendar" not in agent_view.content
    admin_view = signed_in(client, admin()).get(reverse("sla:calendar-list"))
    assert b"Add a calendar" in admin_view.content


# --- the next incident sees the change ------------------------------------------------------------
def open_incident():
    caller = requester()
    return incident_services.incident_open(
        actor=None, caller=caller, short_description="Printer jammed", impact=3, urgency=3
    )


def resolution_clock(incident) -> SlaTimer:
    return SlaTimer.objects.get(object_id=str(incident.pk), kind="resolution")


def test_the_next_incident_counts_in_the_calendar_as_edited(client):
    calendar = CalendarFactory(name="Office")
    PolicyFactory(
        name="Everything",
        order=1,
        response_calendar=calendar,
        resolution_target=timedelta(hours=8),
    )
    assert resolution_clock(open_incident()).calendar.time_zone == "Europe/London"
    c = signed_in(client, admin())
    response = c.post(
        reverse("sla:calendar-edit", args=[calendar.pk]),
        edit_post(calendar, time_zone="Asia/Tokyo", working_hours="Mon-Sun 00:00-24:00"),
    )
    assert response.status_code == 302
    timer = resolution_clock(open_incident())
    # Open every hour of the week now: eight business hours are eight real hours.
    assert timer.calendar.time_zone == "Asia/Tokyo"
    assert timer.due_at - timer.started_at == timedelta(hours=8)


def test_a_24x7_calendar_needs_no_hours(client):
    c = signed_in(client, admin())
    response = c.post(
        reverse("sla:calendar-create"), calendar_post(always_open="on", working_hours="")
    )
    assert response.status_code == 302
    assert BusinessCalendar.objects.get().always_open


# --- policies -----------------------------------------------------------------------------------
@pytest.fixture
def office(db):
    return CalendarFactory(name="Office")


@pytest.fixture
def always(db):
    return CalendarFactory(name="Always", always_open=True, working_hours={})


def policy_post(office, **changes) -> dict:
    return {
        "name": "Major",
        "order": "10",
        "active": "on",
        "record_type": "incident",
        "condition_priority": "P1, P2",
        "condition_caller_vip": "true",
        "condition_ci_criticality": ["1", "2"],
        "condition_department": "Finance, Sales",
        "response_target": "0:30:00",
        "response_calendar": str(office.pk),
        "resolution_target": "1 00:00:00",
        "resolution_calendar": str(office.pk),
        "ola_target": "4:00:00",
        "pause_states": ["on_hold"],
        "warning_thresholds": "90, 50",
        "description": "",
        **changes,
    }


def policy_edit_post(policy: SlaPolicy, office, **changes) -> dict:
    return policy_post(office, name=policy.name, version=policy.version, **changes)


def test_admin_adds_a_policy_with_conditions_and_targets(client, office):
    c = signed_in(client, admin())
    assert c.get(reverse("sla:policy-create")).status_code == 200
    response = c.post(reverse("sla:policy-create"), policy_post(office))
    policy = SlaPolicy.objects.get(name="Major")
    assert response["Location"] == reverse("sla:policy-detail", args=[policy.pk])
    assert policy.conditions == {
        "priority": ["P1", "P2"],
        "ci_criticality": [1, 2],
        "caller_vip": True,
        "department": ["Finance", "Sales"],
    }
    assert (policy.response_target, policy.resolution_target, policy.ola_target) == (
        timedelta(minutes=30),
        timedelta(days=1),
        timedelta(hours=4),
    )
    assert policy.resolution_calendar == office
    assert policy.pause_states == ["on_hold"]
    assert policy.warning_thresholds == [50, 90]
    assert AuditEntry.objects.filter(action="slapolicy.created").exists()


def test_policy_edit_form_shows_the_policy_and_saves_a_change(client, office):
    c = signed_in(client, admin())
    c.post(reverse("sla:policy-create"), policy_post(office))
    policy = SlaPolicy.objects.get(name="Major")
    form = c.get(reverse("sla:policy-edit", args=[policy.pk])).context["form"]
    assert form["condition_priority"].value() == "P1, P2"
    assert form["condition_caller_vip"].value() == "true"
    assert form["warning_thresholds"].value() == "50, 90"
    response = c.post(
        reverse("sla:policy-edit", args=[policy.pk]),
        policy_edit_post(policy, office, condition_caller_vip="", condition_priority="", active=""),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.version == 2 and not policy.active
    assert policy.conditions == {"ci_criticality": [1, 2], "department": ["Finance", "Sales"]}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"response_calendar": ""}, "response_calendar", "Choose the calendar"),
        ({"resolution_target": "0:00:00"}, "resolution_target", "longer than zero"),
        (
            {"response_target": "", "resolution_target": "", "ola_target": ""},
            "resolution_target",
            "Give a response target",
        ),
        ({"resolution_target": "a day"}, "resolution_target", "valid duration"),
        ({"warning_thresholds": "50, 150"}, "warning_thresholds", "150: use whole percentages"),
        ({"response_calendar": "999999"}, "response_calendar", "Select a valid choice"),
        ({"name": "office hours p1"}, "name", "already exists"),
    ],
)
def test_bad_policy_input_is_shown_by_the_field_and_nothing_is_written(
    client, office, changes, field, message
):
    PolicyFactory(name="Office hours P1", response_calendar=office)
    c = signed_in(client, admin())
    response = c.post(reverse("sla:policy-create"), policy_post(office, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert SlaPolicy.objects.count() == 1


def test_a_stale_policy_edit_is_refused_with_a_message(client, office):
    policy = PolicyFactory(name="Standard", response_calendar=office)
    c = signed_in(client, admin())
    first = c.post(
        reverse("sla:policy-edit", args=[policy.pk]), policy_edit_post(policy, office, order="5")
    )
    assert first.status_code == 302
    second = c.post(
        reverse("sla:policy-edit", args=[policy.pk]), policy_edit_post(policy, office, order="7")
    )
    assert "was changed by someone else" in second.content.decode()
    fresh = SlaPolicy.objects.get(pk=policy.pk)
    assert (fresh.version, fresh.order) == (2, 5)


def test_only_administrators_change_policies(client, office):
    policy = PolicyFactory(name="Standard", order=3, response_calendar=office)
    for user in (agent(), requester()):
        c = signed_in(client, user)
        assert c.get(reverse("sla:policy-create")).status_code == 403
        assert c.post(reverse("sla:policy-create"), policy_post(office)).status_code == 403
        edit = reverse("sla:policy-edit", args=[policy.pk])
        assert c.get(edit).status_code == 403
        assert c.post(edit, policy_edit_post(policy, office, order="1")).status_code == 403
    assert list(SlaPolicy.objects.values_list("name", "order")) == [("Standard", 3)]
    agent_page = signed_in(client, agent()).get(reverse("sla:policy-detail", args=[policy.pk]))
    assert agent_page.status_code == 200 and b"/edit/" not in agent_page.content


def test_the_next_incident_gets_the_policy_as_edited(client, always):
    c = signed_in(client, admin())
    every_incident = {
        "condition_priority": "",
        "condition_caller_vip": "",
        "condition_ci_criticality": [],
        "condition_department": "",
        "order": "1",
    }
    c.post(reverse("sla:policy-create"), policy_post(always, **every_incident))
    policy = SlaPolicy.objects.get(name="Major")
    before = resolution_clock(open_incident())
    assert (before.policy, before.due_at - before.started_at) == (policy, timedelta(days=1))
    response = c.post(
        reverse("sla:policy-edit", args=[policy.pk]),
        policy_edit_post(policy, always, resolution_target="2:00:00", **every_incident),
    )
    assert response.status_code == 302
    after = resolution_clock(open_incident())
    assert after.due_at - after.started_at == timedelta(hours=2)
