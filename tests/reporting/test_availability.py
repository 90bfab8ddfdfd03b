"""Service availability against fixtures worked out by hand: (agreed − outage) ÷ agreed.

The organisation is in Europe/London. March 2026: the 9th is a Monday; Greenwich time (UTC+0)
until the clocks go forward at 01:00 UTC on Sunday the 29th, British Summer Time (UTC+1) after.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import admin, agent
from opsdesk.events.models import MaintenanceWindow
from opsdesk.incidents.models import State
from opsdesk.incidents.testing import IncidentFactory, depends, make_ci
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import Filters, service
from opsdesk.reporting.models import ServiceHours
from opsdesk.reporting.services import record_fact_refresh
from opsdesk.sla.models import BusinessCalendar

pytestmark = pytest.mark.django_db

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.fixture(autouse=True)
def london(settings, monkeypatch):
    settings.OPSDESK_TIME_ZONE = "Europe/London"
    # "Now" is well after every fixture, so no period is cut short unless a test says so.
    monkeypatch.setattr(service, "_now", lambda: datetime(2026, 6, 1, tzinfo=UTC))


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def outage(svc, start, end, *, affected=(), state=State.RESOLVED, major=True, **fields):
    incident = IncidentFactory(
        service=svc,
        is_major=major,
        state=state,
        opened_at=start,
        major_declared_at=start if major else None,
        outage_start=start if end is not None else None,
        outage_end=end,
        resolved_at=end if state == State.RESOLVED else None,
        **fields,
    )
    incident.affected_services.add(*affected)
    record_fact_refresh(record_type="incident", record_id=incident.pk)
    return incident


def availability(first: date, last: date | None = None, **filters):
    return metrics.compute("availability", Filters(start=first, end=last or first, **filters))


def row_of(result, svc) -> dict:
    return next(row for row in result.rows if row["group"] == svc.pk)


def behind(first: date, last: date | None = None, **filters) -> set[int]:
    qs = metrics.metric("availability").records(Filters(start=first, end=last or first, **filters))
    return set(qs.values_list("record_id", flat=True))


def office_hours() -> BusinessCalendar:
    week = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    return BusinessCalendar.objects.create(
        name="Payroll office hours", time_zone="Europe/London", working_hours=week
    )


def test_overlapping_outages_count_once():
    payroll = make_ci("Payroll", "business_service")
    mail = make_ci("Mail", "business_service")
    # Tuesday 10 March, 24x7 (no hours set): agreed 24 h = 86,400 s.
    # Outage A 09:00–11:00 on Payroll; outage B 10:00–12:00 lists Payroll as affected.
    # Merged: 09:00–12:00 = 3 h = 10,800 s (not 2 h + 2 h = 4 h).
    a = outage(payroll, at(10, 9), at(10, 11))
    b = outage(mail, at(10, 10), at(10, 12), affected=[payroll])
    result = availability(date(2026, 3, 10))
    row = row_of(result, payroll)
    assert (row["agreed_seconds"], row["outage_seconds"], row["incidents"]) == (DAY, 3 * HOUR, 2)
    # (86,400 − 10,800) ÷ 86,400 = 0.875
    assert row["value"] == pytest.approx(0.875)
    assert row["label"] == "Payroll"
    # Mail has only B (its own service): 2 h → (86,400 − 7,200) ÷ 86,400 = 0.91666…
    assert row_of(result, mail)["value"] == pytest.approx(1 - 2 / 24)
    # Total, weighted by agreed time: outage 3 h + 2 h over 48 h → 1 − 5/48.
    assert result.total["value"] == pytest.approx(1 - 5 / 48)
    assert behind(date(2026, 3, 10)) == {a.pk, b.pk}
    assert behind(date(2026, 3, 10), service=mail.pk) == {b.pk}


def test_outage_past_the_end_of_service_hours_counts_only_inside_them():
    payroll = make_ci("Payroll", "business_service")
    ServiceHours.objects.create(service=payroll, calendar=office_hours())
    # Hours Mon–Fri 08:00–18:00 (GMT = UTC in March before the 29th).
    # Outage Tuesday 10 March 17:00–20:00: only 17:00–18:00 is agreed time → 1 h.
    evening = outage(payroll, at(10, 17), at(10, 20))
    row = row_of(availability(date(2026, 3, 10)), payroll)
    # Tuesday agreed 10 h = 36,000 s; (36,000 − 3,600) ÷ 36,000 = 0.9
    assert (row["agreed_seconds"], row["outage_seconds"]) == (10 * HOUR, HOUR)
    assert row["value"] == pytest.approx(0.9)
    assert behind(date(2026, 3, 10)) == {evening.pk}


def test_a_weekend_outage_outside_service_hours_costs_nothing():
    payroll = make_ci("Payroll", "business_service")
    ServiceHours.objects.create(service=payroll, calendar=office_hours())
    evening = outage(payroll, at(10, 17), at(10, 20))  # Tuesday: 1 h inside hours
    saturday = outage(payroll, at(14, 10), at(14, 14))  # Saturday: no hours at all
    # The week Mon 9 – Sun 15 March: agreed 5 weekdays × 10 h = 50 h = 180,000 s.
    # Outage counted 1 h (Tuesday) + 0 h (Saturday) → (180,000 − 3,600) ÷ 180,000 = 0.98.
    row = row_of(availability(date(2026, 3, 9), date(2026, 3, 15)), payroll)
    assert (row["agreed_seconds"], row["outage_seconds"]) == (50 * HOUR, HOUR)
    assert row["value"] == pytest.approx(0.98)
    # Only the Tuesday outage is behind the number: Saturday's cost no agreed time.
    assert behind(date(2026, 3, 9), date(2026, 3, 15)) == {evening.pk}
    # The weekend alone has no agreed time, so no availability (not 100 %).
    weekend = row_of(availability(date(2026, 3, 14), date(2026, 3, 15)), payroll)
    assert (weekend["agreed_seconds"], weekend["value"]) == (0, None)
    assert saturday.pk not in behind(date(2026, 3, 14), date(2026, 3, 15))


def test_a_holiday_of_the_service_calendar_is_not_agreed_time():
    payroll = make_ci("Payroll", "business_service")
    calendar = office_hours()
    calendar.holidays = [{"date": "2026-03-11", "name": "Company day"}]
    calendar.save()
    ServiceHours.objects.create(service=payroll, calendar=calendar)
    outage(payroll, at(11, 9), at(11, 12))  # on the holiday: no agreed time
    outage(payroll, at(12, 9), at(12, 10))  # Thursday: 1 h
    # Week of 9 March: 4 working days × 10 h = 40 h = 144,000 s (Wednesday is a holiday).
    # (144,000 − 3,600) ÷ 144,000 = 0.975
    row = row_of(availability(date(2026, 3, 9), date(2026, 3, 15)), payroll)
    assert (row["agreed_seconds"], row["outage_seconds"]) == (40 * HOUR, HOUR)
    assert row["value"] == pytest.approx(0.975)


def test_approved_maintenance_is_not_agreed_time_and_its_outage_is_excluded():
    payroll = make_ci("Payroll", "business_service")
    database = make_ci("payroll-db", "server")
    depends(payroll, database)
    # A weekly window on the database Payroll depends on, first run Tuesday 3 March
    # 02:00–04:00, so it runs again Tuesday 10 March 02:00–04:00.
    window = MaintenanceWindow.objects.create(
        name="Patching", starts_at=at(3, 2), ends_at=at(3, 4), weekly=True
    )
    window.cis.add(database)
    # Outage 10 March 03:00–05:00: 03:00–04:00 is planned, 04:00–05:00 counts → 1 h.
    outage(payroll, at(10, 3), at(10, 5))
    row = row_of(availability(date(2026, 3, 10)), payroll)
    # Agreed 24 h − 2 h maintenance = 22 h = 79,200 s; (79,200 − 3,600) ÷ 79,200 = 0.95454…
    assert (row["agreed_seconds"], row["outage_seconds"]) == (22 * HOUR, HOUR)
    assert row["value"] == pytest.approx(1 - 1 / 22)


def test_an_outage_wholly_inside_maintenance_is_not_behind_the_number():
    payroll = make_ci("Payroll", "business_service")
    window = MaintenanceWindow.objects.create(
        name="Upgrade", starts_at=at(10, 1), ends_at=at(10, 6)
    )
    window.cis.add(payroll)
    planned = outage(payroll, at(10, 2), at(10, 4))
    row = row_of(availability(date(2026, 3, 10)), payroll)
    # Agreed 24 h − 5 h = 19 h; the outage 02:00–04:00 is all planned → 0 s, 100 %.
    assert (row["agreed_seconds"], row["outage_seconds"], row["value"]) == (19 * HOUR, 0, 1.0)
    assert planned.pk not in behind(date(2026, 3, 10))


def test_the_day_the_clocks_go_forward_has_23_hours():
    payroll = make_ci("Payroll", "business_service")
    # Sunday 29 March 2026 in London: 00:00 GMT (00:00 UTC) to 24:00 BST (23:00 UTC) = 23 h.
    # Outage 00:30 GMT – 02:30 BST = 00:30 UTC – 01:30 UTC = 1 h of real time.
    outage(payroll, at(29, 0, 30), at(29, 1, 30))
    row = row_of(availability(date(2026, 3, 29)), payroll)
    # (82,800 − 3,600) ÷ 82,800 = 0.95652…
    assert (row["agreed_seconds"], row["outage_seconds"]) == (23 * HOUR, HOUR)
    assert row["value"] == pytest.approx(1 - 1 / 23)


def test_an_open_outage_counts_until_now(monkeypatch):
    payroll = make_ci("Payroll", "business_service")
    # Declared 10 March 22:00 and still in progress (no outage window recorded yet).
    running = outage(payroll, at(10, 22), None, state=State.IN_PROGRESS)
    monkeypatch.setattr(service, "_now", lambda: at(11, 12))
    # Period 10–11 March, now 11 March 12:00: agreed 24 h + 12 h = 36 h = 129,600 s
    # (the rest of the 11th has not happened yet); outage 22:00 → 12:00 = 14 h = 50,400 s.
    # (129,600 − 50,400) ÷ 129,600 = 0.61111…
    row = row_of(availability(date(2026, 3, 10), date(2026, 3, 11)), payroll)
    assert (row["agreed_seconds"], row["outage_seconds"]) == (36 * HOUR, 14 * HOUR)
    assert row["value"] == pytest.approx(1 - 14 / 36)
    # A period that ended before now: the open outage counts until the period's end.
    # 10 March alone: 22:00–24:00 = 2 h of 24 h.
    assert row_of(availability(date(2026, 3, 10)), payroll)["outage_seconds"] == 2 * HOUR
    assert behind(date(2026, 3, 10)) == {running.pk}


def test_ordinary_and_cancelled_incidents_do_not_count():
    payroll = make_ci("Payroll", "business_service")
    outage(payroll, at(10, 9), at(10, 11), major=False)
    outage(payroll, at(10, 12), at(10, 13), state=State.CANCELLED)
    row = row_of(availability(date(2026, 3, 10)), payroll)
    assert (row["outage_seconds"], row["incidents"], row["value"]) == (0, 0, 1.0)


def test_grouped_by_day_each_day_has_its_own_figure():
    payroll = make_ci("Payroll", "business_service")
    # An outage across midnight: 10 March 23:00 – 11 March 02:00 → 1 h on the 10th, 2 h on
    # the 11th. Day figures: 1 − 1/24 and 1 − 2/24; the two days together 1 − 3/48.
    outage(payroll, at(10, 23), at(11, 2))
    result = availability(date(2026, 3, 10), date(2026, 3, 11), group_by="day")
    figures = {row["group"]: (row["outage_seconds"], row["label"]) for row in result.rows}
    assert figures == {
        "2026-03-10": (HOUR, "10 Mar 2026"),
        "2026-03-11": (2 * HOUR, "11 Mar 2026"),
    }
    assert result.total["value"] == pytest.approx(1 - 3 / 48)


def test_without_a_grouping_the_rows_are_per_service_and_narrow_to_one():
    payroll = make_ci("Payroll", "business_service")
    make_ci("Mail", "technical_service")
    make_ci("web-01", "server")  # not a service: not measured
    result = availability(date(2026, 3, 10))
    assert [row["label"] for row in result.rows] == ["Mail", "Payroll"]
    narrowed = result.filters.narrow(str(payroll.pk))
    assert narrowed.service == payroll.pk


# --- the service hours page -------------------------------------------------------------------
def test_an_administrator_sets_a_services_hours_and_can_put_it_back(client):
    payroll = make_ci("Payroll", "business_service")
    calendar = office_hours()
    client.force_login(admin())
    url = reverse("reporting:service_hours")
    page = client.get(url)
    assert page.status_code == 200
    assert "24x7 in the organisation" in page.content.decode()
    answer = client.post(url, {"service": payroll.pk, "calendar": calendar.pk}, follow=True)
    assert "Payroll&#x27;s availability now counts Payroll office hours." in (
        answer.content.decode()
    )
    assert ServiceHours.objects.get(service=payroll).calendar == calendar
    # Choosing the service in the list shows its hours in the form.
    chosen = client.get(url, {"service": payroll.pk})
    assert chosen.context["form"].initial["calendar"] == calendar.pk
    assert "Payroll office hours" in chosen.content.decode()
    client.post(url, {"service": payroll.pk, "calendar": ""})
    assert not ServiceHours.objects.filter(service=payroll).exists()


def test_service_hours_refuse_bad_input_by_field_and_agents(client):
    server = make_ci("web-01", "server")
    client.force_login(admin())
    url = reverse("reporting:service_hours")
    answer = client.post(url, {"service": server.pk, "calendar": "999999"})
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert errors == {
        "service": ["Choose one of the services."],
        "calendar": ["Choose one of the business calendars."],
    }
    client.force_login(agent())
    assert client.get(url).status_code == 403


def test_the_availability_description_says_how_it_is_computed():
    found = metrics.metric("availability")
    assert found.better == "higher" and found.kind == "ratio"
    assert "approved" in found.description and "Overlapping outages" in found.description


def test_weekly_window_occurrences_start_from_the_repeat_running_at_the_period_start():
    window = MaintenanceWindow(starts_at=at(2, 23), ends_at=at(3, 1), weekly=True)
    # Repeats 2 Mar 23:00, 9 Mar 23:00, 16 Mar 23:00 …; the period 10–17 March sees the one
    # still running at its start (9 Mar 23:00 – 10 Mar 01:00) and the one of the 16th.
    spans = service.window_occurrences(window, at(10, 0), at(17, 0))
    assert spans == [(at(9, 23), at(10, 1)), (at(16, 23), at(17, 1))]
    assert service.window_occurrences(window, at(10, 0), at(10, 0) + timedelta(hours=1)) == [
        (at(9, 23), at(10, 1))
    ]
