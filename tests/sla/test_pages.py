"""SLA pages: calendars and policies for agents, and the clocks panel incident pages include."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import agent, requester
from opsdesk.sla import services
from tests.sla.conftest import london

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def test_agent_sees_calendars_and_policies(client, policies, office):
    c = signed_in(client, agent())
    listing = c.get(reverse("sla:calendar-list"))
    assert listing.status_code == 200 and b"Office" in listing.content
    detail = c.get(reverse("sla:calendar-detail", args=[office.pk]))
    assert b"Monday" in detail.content and b"P3" in detail.content
    policies_page = c.get(reverse("sla:policy-list"))
    assert b"P1" in policies_page.content and b"On hold" in policies_page.content
    policy = c.get(reverse("sla:policy-detail", args=[policies["P3"].pk]))
    assert b"20 h" in policy.content


def test_calendar_page_answers_when_it_would_be_due(client, office):
    c = signed_in(client, agent())
    page = c.get(
        reverse("sla:calendar-detail", args=[office.pk]),
        {"start": "2025-04-17T16:00", "duration": "4:00:00"},
    )
    assert b"Tue 22 Apr 2025 10:00" in page.content
    bad = c.get(reverse("sla:calendar-detail", args=[office.pk]), {"start": "x", "duration": "y"})
    assert bad.status_code == 200 and b"Give the start" in bad.content


def test_requesters_do_not_see_sla_configuration(client, office):
    c = signed_in(client, requester())
    assert c.get(reverse("sla:calendar-list")).status_code == 403
    assert c.get(reverse("sla:calendar-detail", args=[office.pk])).status_code == 403


def test_clock_panel_shows_state_colour_and_history(policies, ticket):
    services.sla_start(
        record=ticket,
        record_type="incident",
        attributes={"priority": "P1"},
        at=london(2025, 3, 10, 9),
    )
    services.sla_update(record=ticket, state="on_hold", at=london(2025, 3, 10, 9, 5))
    from django.template import Context, Template

    html = Template("{% load sla %}{% sla_clocks record %}").render(Context({"record": ticket}))
    assert html.count('data-testid="sla-clock"') == 2
    assert "Paused" in html and "paused: no due time" in html
    assert "Record is on_hold" in html
    # Long overdue by now: the response clock shows red once it runs again.
    services.sla_update(record=ticket, state="in_progress", at=london(2025, 3, 10, 9, 10))
    html = Template("{% load sla %}{% sla_clocks record %}").render(Context({"record": ticket}))
    assert 'class="badge danger"' in html and "Overdue by" in html
