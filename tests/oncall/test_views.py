"""On-call pages: the four-week calendar, the on-call-now panel, overrides and feed links."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, requester
from opsdesk.oncall.models import Override
from tests.oncall.factories import LayerFactory, ScheduleFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota():
    ann, bob = staff(display_name="Ann Adams"), staff(display_name="Bob Berg")
    lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD], display_name="Lea Lead")
    team = TeamFactory(name="Server & Storage", lead=lead)
    schedule = ScheduleFactory(team=team, name="Primary")
    # Starts in ten days: the first ten days of the calendar are a gap.
    LayerFactory(
        schedule=schedule, people=[ann, bob], rotation_start=timezone.now() + timedelta(days=10)
    )
    return team, schedule, ann, bob, lead


def test_calendar_shows_four_weeks_people_and_gaps(rota, client):
    _team, schedule, ann, _bob, _lead = rota
    client.force_login(ann)
    page = client.get(reverse("oncall:schedule-detail", args=[schedule.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<tr class="has-gap">') >= 10
    assert html.count("<tr class") == 28
    assert "Ann Adams" in html and "Bob Berg" in html
    assert "Nobody on call" in html
    assert "style=" not in html and "<script>" not in html
    assert reverse("oncall:override-new", args=[schedule.pk]) not in html  # not a lead


def test_on_call_now_panel_per_team(rota, client):
    _team, _schedule, ann, *_ = rota
    other = ScheduleFactory(team=TeamFactory(name="Identity & Access"))
    LayerFactory(schedule=other, people=[ann], rotation_start=timezone.now() - timedelta(days=1))
    client.force_login(ann)
    html = client.get(reverse("oncall:index")).content.decode()
    assert "Server &amp; Storage" in html and "Identity &amp; Access" in html
    assert "Nobody on call" in html  # Server & Storage has not started yet
    assert 'data-testid="on-call"><strong>Ann Adams' in html


def test_lead_adds_an_override_and_it_shows(rota, client):
    _team, schedule, _ann, bob, lead = rota
    client.force_login(lead)
    url = reverse("oncall:override-new", args=[schedule.pk])
    assert client.get(url).status_code == 200
    # The form reads times in the signed-in person's own zone.
    start = timezone.localtime(timezone.now() + timedelta(hours=1), ZoneInfo(lead.time_zone))
    response = client.post(
        url,
        {
            "user": bob.pk,
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "note": "Ann is at the dentist",
        },
    )
    assert response.status_code == 302
    assert Override.objects.get().user == bob
    page = client.get(reverse("oncall:schedule-detail", args=[schedule.pk])).content.decode()
    assert "Ann is at the dentist" in page


def test_override_form_errors_and_refusals(rota, client):
    _team, schedule, ann, bob, lead = rota
    url = reverse("oncall:override-new", args=[schedule.pk])
    client.force_login(lead)
    response = client.post(
        url, {"user": bob.pk, "start": "2030-01-02T10:00", "end": "2030-01-02T09:00"}
    )
    assert response.status_code == 200
    assert "must end after it starts" in response.content.decode()
    assert not Override.objects.exists()
    client.force_login(ann)
    assert client.get(url).status_code == 403
    client.force_login(requester())
    assert client.get(reverse("oncall:index")).status_code == 403


def test_feed_links_are_shown_once(rota, client):
    team, _schedule, ann, *_ = rota
    team.members.add(ann)
    client.force_login(ann)
    made = client.post(reverse("oncall:feed-links")).content.decode()
    assert made.count('data-testid="feed-url"') == 2
    assert "?token=" in made
    again = client.get(reverse("oncall:feed-links")).content.decode()
    assert "?token=" not in again and "Make new links" in again
