"""Paging: P1/P2 and major incidents wake the group's on-call and escalate until acknowledged."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.models import OutboxEvent
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import paging, services
from opsdesk.incidents.models import Page, PageStatus
from opsdesk.incidents.testing import resolution_code
from opsdesk.oncall.models import StepTarget
from tests.oncall.factories import EscalationPolicyFactory, LayerFactory, ScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota(team):
    """One engineer on call around the clock; the team lead is the second step."""
    engineer = UserFactory(roles=[Role.AGENT], username="oncall.engineer")
    lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD], username="team.lead")
    team.members.add(engineer, lead)
    team.lead = lead
    team.save()
    LayerFactory(schedule=ScheduleFactory(team=team), people=[engineer])
    EscalationPolicyFactory(
        team=team,
        steps=[
            {"target": StepTarget.TEAM_ON_CALL, "delay_minutes": 15},
            {"target": StepTarget.TEAM_LEAD, "delay_minutes": 15},
        ],
    )
    return engineer, lead


def pages_sent():
    return [
        (e.payload["user_id"], e.payload["step"])
        for e in OutboxEvent.objects.filter(topic="incident.page").order_by("id")
    ]


def p1(caller, team):
    return services.incident_open(
        actor=None,
        caller=caller,
        short_description="Payroll is down",
        impact=1,
        urgency=1,
        assignment_group=team,
    )


def test_p1_pages_the_on_call_engineer_with_an_acknowledge_link(caller, team, rota):
    engineer, _ = rota
    incident = p1(caller, team)
    assert pages_sent() == [(engineer.pk, 0)]
    event = OutboxEvent.objects.get(topic="incident.page")
    assert "/incidents/page/" in event.payload["acknowledge_url"]
    page = Page.objects.get(incident=incident)
    assert page.status == PageStatus.PAGING and page.next_step_at is not None


def test_low_priority_incidents_page_nobody(caller, team, rota):
    services.incident_open(
        actor=None,
        caller=caller,
        short_description="Mouse squeaks",
        impact=3,
        urgency=3,
        assignment_group=team,
    )
    assert pages_sent() == []


def test_unanswered_page_escalates_to_the_next_step_then_runs_out(caller, team, rota):
    engineer, lead = rota
    incident = p1(caller, team)
    now = timezone.now()
    assert paging.pages_escalate_due(now=now + timedelta(minutes=5)) == 0  # not yet
    assert paging.pages_escalate_due(now=now + timedelta(minutes=16)) == 1
    assert pages_sent() == [(engineer.pk, 0), (lead.pk, 1)]
    assert paging.pages_escalate_due(now=now + timedelta(minutes=17)) == 0  # done once only
    paging.pages_escalate_due(now=now + timedelta(minutes=40))
    assert Page.objects.get(incident=incident).status == PageStatus.EXHAUSTED


def test_acknowledging_stops_the_escalation_and_is_the_first_response(caller, team, rota):
    engineer, _ = rota
    incident = p1(caller, team)
    services.incident_acknowledge(actor=engineer, incident=incident)
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert incident.first_response_at == incident.acknowledged_at
    assert Page.objects.get(incident=incident).status == PageStatus.ACKNOWLEDGED
    assert paging.pages_escalate_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(pages_sent()) == 1


def test_the_link_in_the_page_acknowledges_on_post_only(caller, team, rota):
    engineer, _ = rota
    incident = p1(caller, team)
    url = OutboxEvent.objects.get(topic="incident.page").payload["acknowledge_url"]
    path = urlsplit(url).path
    client = Client()
    shown = client.get(path)
    assert shown.status_code == 200 and b"Acknowledge" in shown.content
    incident.refresh_from_db()
    assert incident.acknowledged_at is None  # a mail scanner opening the link changes nothing
    client.post(path)
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert Page.objects.get(incident=incident).acknowledged_by == engineer


def test_forged_or_tampered_links_are_refused(caller, team, rota):
    engineer, _ = rota
    incident = p1(caller, team)
    good = paging.ack_token(incident=incident, user=engineer)
    client = Client()
    assert client.get(reverse("incidents:page-ack", args=[good[:-2] + "xx"])).status_code == 404
    assert client.post(reverse("incidents:page-ack", args=["nonsense"])).status_code == 404
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_resolving_stops_paging(caller, team, rota):
    engineer, _ = rota
    incident = p1(caller, team)
    services.incident_transition(
        actor=engineer,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Restarted payroll batch.",
    )
    assert Page.objects.get(incident=incident).status == PageStatus.STOPPED
    assert paging.pages_escalate_due(now=timezone.now() + timedelta(hours=1)) == 0


def test_raising_priority_pages_once(caller, team, rota, desk_agent):
    incident = services.incident_open(
        actor=None,
        caller=caller,
        short_description="Slow VPN",
        impact=3,
        urgency=3,
        assignment_group=team,
    )
    services.incident_update(actor=desk_agent, incident=incident, impact=1, urgency=2)
    services.incident_update(actor=desk_agent, incident=incident, impact=1, urgency=1)
    assert len(pages_sent()) == 1


def test_a_group_with_nobody_on_call_pages_its_lead_or_reports_unrouted(caller, team):
    lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD])
    team.lead = lead
    team.save()
    p1(caller, team)
    assert pages_sent() == [(lead.pk, 0)]
    team.lead = None
    team.save()
    services.incident_open(
        actor=None,
        caller=caller,
        short_description="Second outage",
        impact=1,
        urgency=1,
        assignment_group=team,
    )
    assert OutboxEvent.objects.filter(topic="incident.page_unrouted").count() == 1
