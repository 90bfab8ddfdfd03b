"""Event noise against a fixture counted by hand: events → alerts (de-duplicated by
fingerprint) → incidents, per integration and per service."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from opsdesk.events.models import Alert, AlertStatus, Event
from opsdesk.events.testing import IntegrationFactory
from opsdesk.incidents.models import IncidentAlert
from opsdesk.incidents.testing import IncidentFactory, make_ci
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import Filters
from opsdesk.reporting.services import record_fact_refresh

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
MORNING = datetime(2026, 3, 10, 9, tzinfo=UTC)
_keys = count()


def alert_with_events(integration, fingerprint, events: int, *, service=None, at=MORNING):
    """One alert and the ``events`` that de-duplication folded into it."""
    alert = Alert.objects.create(
        integration=integration,
        fingerprint=fingerprint,
        status=AlertStatus.RESOLVED,
        severity="major",
        highest_severity="major",
        classification="exception",
        first_seen=at,
        last_seen=at + timedelta(minutes=events),
        count=events,
        service=service,
    )
    Event.objects.bulk_create(
        Event(
            integration=integration,
            delivery_key=f"d{next(_keys)}",
            received_at=at + timedelta(minutes=n),
            fingerprint=fingerprint,
            action="trigger",
            severity="major",
            classification="exception",
            state="processed",
            alert=alert,
        )
        for n in range(events)
    )
    return alert


def incident_for(*alerts):
    incident = IncidentFactory(channel="event", opened_at=MORNING)
    for n, alert in enumerate(alerts):
        IncidentAlert.objects.create(
            incident=incident,
            alert=alert,
            role="origin" if n == 0 else "correlated",
            linked_at=MORNING,
        )
    record_fact_refresh(record_type="incident", record_id=incident.pk)
    return incident


@pytest.fixture
def stream():
    """Prometheus: 10 events on 4 fingerprints (4 + 3 + 2 + 1) → 4 alerts; f1 opens an
    incident and f3 is correlated into it, f2 opens another → 2 incidents.
    Zabbix: 3 events on 3 fingerprints → 3 alerts (nothing to fold); one opens an incident.
    Payroll is the service of f1 and f2; the rest have none. One more Zabbix event, alert
    and incident on 11 March lie outside the period."""
    prometheus = IntegrationFactory(name="Prometheus")
    zabbix = IntegrationFactory(name="Zabbix")
    payroll = make_ci("Payroll", "business_service")
    f1 = alert_with_events(prometheus, "f1", 4, service=payroll)
    f2 = alert_with_events(prometheus, "f2", 3, service=payroll)
    f3 = alert_with_events(prometheus, "f3", 2)
    alert_with_events(prometheus, "f4", 1)
    z1 = alert_with_events(zabbix, "z1", 1)
    alert_with_events(zabbix, "z2", 1)
    alert_with_events(zabbix, "z3", 1)
    later = alert_with_events(zabbix, "z4", 1, at=MORNING + timedelta(days=1))
    first = incident_for(f1, f3)
    second = incident_for(f2)
    third = incident_for(z1)
    incident_for(later)
    return {
        "prometheus": prometheus,
        "zabbix": zabbix,
        "payroll": payroll,
        "incidents": {first.pk, second.pk, third.pk},
    }


def figures(key, **filters):
    result = metrics.compute(key, Filters(start=DAY, end=DAY, **filters))
    rows = {
        row["label"]: (row["events"], row["alerts"], row["incidents"], row["value"])
        for row in result.rows
    }
    total = result.total
    return rows, (total["events"], total["alerts"], total["incidents"], total["value"])


def test_noise_reduction_per_integration(stream):
    rows, total = figures("noise_reduction")
    # Prometheus: 1 − 2 incidents ÷ 4 alerts = 0.5. Zabbix: 1 − 1 ÷ 3 = 0.666…
    assert rows == {
        "Prometheus": (10, 4, 2, pytest.approx(0.5)),
        "Zabbix": (3, 3, 1, pytest.approx(2 / 3)),
    }
    # All: 13 events, 7 alerts, 3 incidents → 1 − 3/7 = 0.5714…
    assert total == (13, 7, 3, pytest.approx(1 - 3 / 7))


def test_alerts_per_event_per_integration(stream):
    rows, total = figures("alerts_per_event")
    # Prometheus: 4 alerts ÷ 10 events = 0.4. Zabbix: 3 ÷ 3 = 1 (no de-duplication).
    assert {label: row[3] for label, row in rows.items()} == {
        "Prometheus": pytest.approx(0.4),
        "Zabbix": pytest.approx(1.0),
    }
    # All: 7 ÷ 13 = 0.538…
    assert total[3] == pytest.approx(7 / 13)


def test_noise_reduction_per_service(stream):
    rows, total = figures("noise_reduction", group_by="service")
    # Payroll: f1 (4 events) + f2 (3) → 7 events, 2 alerts, 2 incidents → 1 − 2/2 = 0.
    # No service: f3 (2) + f4 (1) + z1..z3 (3) → 6 events, 5 alerts; incidents: the one f3
    # joined (also counted under Payroll, through f1) and z1's → 2 → 1 − 2/5 = 0.6.
    assert rows == {
        "Payroll": (7, 2, 2, pytest.approx(0.0)),
        "No service": (6, 5, 2, pytest.approx(0.6)),
    }
    # The total counts each incident once: 3, not 2 + 2.
    assert total == (13, 7, 3, pytest.approx(1 - 3 / 7))


def test_narrowed_to_a_service_and_the_incidents_behind_the_number(stream):
    payroll = stream["payroll"]
    _, total = figures("noise_reduction", service=payroll.pk)
    assert total[:3] == (7, 2, 2)
    found = metrics.metric("noise_reduction")
    behind = found.records(Filters(start=DAY, end=DAY))
    assert set(behind.values_list("record_id", flat=True)) == stream["incidents"]


def test_grouped_by_day_received(stream):
    result = metrics.compute(
        "noise_reduction", Filters(start=DAY, end=DAY + timedelta(days=1), group_by="day")
    )
    per_day = {
        row["label"]: (row["events"], row["alerts"], row["incidents"]) for row in result.rows
    }
    # The 11th holds the one later Zabbix event, its alert and its incident.
    assert per_day == {"10 Mar 2026": (13, 7, 3), "11 Mar 2026": (1, 1, 1)}
    # Both days are in the week of Monday 9 March.
    weekly = metrics.compute(
        "noise_reduction", Filters(start=DAY, end=DAY + timedelta(days=1), group_by="week")
    )
    assert [(row["group"], row["alerts"]) for row in weekly.rows] == [("2026-03-09", 8)]


def test_no_alerts_no_ratio(db):
    rows, total = figures("noise_reduction")
    assert rows == {}
    assert total == (0, 0, 0, None)
