"""My work: what is mine or unassigned in my teams, across record types, soonest due first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.tickets.services import ticket_create
from opsdesk.incidents import services as incidents
from opsdesk.incidents.testing import IncidentFactory
from opsdesk.servicedesk.my_work import my_work
from opsdesk.sla.models import SlaTimer
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(desk_agent):
    group = TeamFactory(name="Service Desk")
    group.members.add(desk_agent)
    return group


def numbers(items):
    return [i.number for i in items]


def test_mine_and_my_teams_unassigned_only(desk_agent, team):
    mine = IncidentFactory(assignee=desk_agent, assignment_group=TeamFactory())
    queue = IncidentFactory(assignment_group=team)
    IncidentFactory(assignment_group=team, assignee=agent())  # a colleague's
    IncidentFactory()  # another team's
    IncidentFactory(assignee=desk_agent, state="resolved")  # done
    assert set(numbers(my_work(viewer=desk_agent))) == {mine.number, queue.number}
    assert numbers(my_work(viewer=desk_agent, scope="mine")) == [mine.number]
    assert numbers(my_work(viewer=desk_agent, scope="team")) == [queue.number]
    assert set(numbers(my_work(viewer=desk_agent, scope="bogus"))) == {mine.number, queue.number}


def test_soonest_sla_first_then_priority(desk_agent, team, alice):
    always = CalendarFactory(name="24x7", always_open=True, working_hours={})
    PolicyFactory(name="Standard", response_calendar=always, response_target=timedelta(hours=4))
    calm = incidents.incident_open(
        actor=None, caller=alice, short_description="Calm", assignment_group=team
    )
    hurried = incidents.incident_open(
        actor=None, caller=alice, short_description="Hurried", assignment_group=team
    )
    no_clock = IncidentFactory(assignment_group=team, priority=1)
    SlaTimer.objects.filter(object_id=str(hurried.pk)).update(
        due_at=timezone.now() - timedelta(minutes=5)
    )
    items = my_work(viewer=desk_agent)
    assert numbers(items) == [hurried.number, calm.number, no_clock.number]
    assert items[0].overdue(timezone.now()) and items[2].due_at is None


def test_another_record_type_joins_by_registering(desk_agent, team):
    """Work orders (tests/ticketapp) are registered with the ticket platform and nothing else:
    they are in My work beside incidents, linked to their own page."""
    incident = IncidentFactory(assignment_group=team)
    order = ticket_create(
        ticket_type("work_order"),
        actor=desk_agent,
        values={
            "short_description": "Fix the door",
            "caller": requester(username="pat"),
            "assignment_group": team,
            "priority": 1,
        },
    )
    items = my_work(viewer=desk_agent)
    assert [(i.kind, i.number) for i in items] == [
        ("Work order", order.number),
        ("Incident", incident.number),
    ]
    assert items[0].url == ticket_type("work_order").url(order) and items[0].state == "New"


def test_page_lists_work_with_plain_links_and_is_for_agents(client, desk_agent, team, alice):
    incident = IncidentFactory(assignment_group=team, short_description="VPN down")
    client.force_login(desk_agent)
    page = client.get(reverse("servicedesk:my-work")).content.decode()
    assert f'href="{reverse("incidents:detail", args=[incident.pk])}"' in page
    assert "VPN down" in page and 'accesskey="1"' in page
    assert (
        reverse("servicedesk:my-work")
        in client.get(reverse("servicedesk:kb-manage")).content.decode()
    )
    quiet = client.get(reverse("servicedesk:my-work"), {"scope": "mine"}).content.decode()
    assert "Nothing waiting for you" in quiet
    client.force_login(alice)
    assert client.get(reverse("servicedesk:my-work")).status_code == 403
