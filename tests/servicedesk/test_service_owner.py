"""A service owner's view of the services they own: incidents, majors, alerts, availability."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import agent, requester
from opsdesk.events.models import Alert, AlertStatus
from opsdesk.events.testing import IntegrationFactory
from opsdesk.incidents.models import State
from opsdesk.incidents.testing import IncidentFactory, depends, make_ci
from opsdesk.servicedesk import selectors

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 21, 12, 0, tzinfo=UTC)  # 20.5 days into December


@pytest.fixture
def owner():
    return requester(username="olivia", display_name="Olivia Owens")


@pytest.fixture
def payroll(owner):
    return make_ci("Payroll", "business_service", service_owner=owner)


def _alert(ci, summary, status=AlertStatus.OPEN):
    return Alert.objects.create(
        integration=IntegrationFactory(),
        fingerprint=summary,
        status=status,
        severity="critical",
        highest_severity="critical",
        classification="problem",
        summary=summary,
        ci=ci,
        first_seen=NOW,
        last_seen=NOW,
    )


def test_owner_sees_open_and_major_incidents_and_alerts_on_what_the_service_runs_on(
    client, owner, payroll
):
    engine = make_ci("payroll-engine", "application")
    depends(payroll, engine)
    IncidentFactory(short_description="Payslips show last month", service=payroll)
    IncidentFactory(short_description="Old fix", service=payroll, state=State.CLOSED)
    IncidentFactory(short_description="HR case", service=payroll, confidential=True)
    _alert(engine, "Payroll engine queue stuck")
    _alert(engine, "Cleared long ago", status=AlertStatus.RESOLVED)

    client.force_login(owner)
    home = client.get(reverse("servicedesk:home"))
    assert b"Services I own" in home.content
    page = client.get(reverse("servicedesk:my-services")).content.decode()
    assert "Payroll" in page
    assert "Payslips show last month" in page
    assert "Old fix" not in page and "HR case" not in page
    assert "Payroll engine queue stuck" in page and "Cleared long ago" not in page
    assert "No major incident this month." in page
    # A requester-owner reads the incidents but cannot open agent pages from here.
    assert 'href="/incidents/' not in page


def test_availability_counts_overlapping_major_outages_once(owner, payroll):
    start = NOW - timedelta(days=3)
    IncidentFactory(
        service=payroll,
        is_major=True,
        state=State.RESOLVED,
        opened_at=start,
        major_declared_at=start,
        resolved_at=start + timedelta(hours=2),
    )
    # Overlaps the first by one hour: three hours of downtime in all, not four.
    IncidentFactory(
        service=payroll,
        is_major=True,
        state=State.RESOLVED,
        opened_at=start + timedelta(hours=1),
        resolved_at=start + timedelta(hours=3),
    )
    # Last month's outage does not count against December.
    IncidentFactory(
        service=payroll,
        is_major=True,
        state=State.CLOSED,
        opened_at=datetime(2026, 11, 10, tzinfo=UTC),
        resolved_at=datetime(2026, 11, 11, tzinfo=UTC),
    )
    (overview,) = selectors.service_overviews(viewer=owner, now=NOW)
    assert overview.downtime == timedelta(hours=3)
    elapsed = (NOW - datetime(2026, 12, 1, tzinfo=UTC)).total_seconds()
    assert overview.availability == pytest.approx(100 * (1 - 3 * 3600 / elapsed))
    assert len(overview.major_incidents) == 2


def test_someone_who_owns_nothing_gets_a_helpful_empty_page(client):
    client.force_login(agent())
    home = client.get(reverse("servicedesk:home"))
    assert b"Services I own" not in home.content
    page = client.get(reverse("servicedesk:my-services"))
    assert page.status_code == 200
    assert b"You own no business service" in page.content


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("servicedesk:my-services"))
    assert response.status_code == 302 and "/login/" in response["Location"]
