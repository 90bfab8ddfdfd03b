"""Automatic assignment passes by members who marked themselves away."""

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.services import user_set_available
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents import services
from opsdesk.incidents.models import AssignmentRule, State
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tier2(db):
    group = TeamFactory(name="Tier 2")
    members = [UserFactory(roles=[Role.AGENT]) for _ in range(3)]
    group.members.add(*members)
    return group, members


def rule_for(group, strategy: str) -> AssignmentRule:
    return AssignmentRule.objects.create(
        name=strategy, keywords="disk", assignment_group=group, auto_assign=strategy
    )


def away(user):
    return user_set_available(actor=user, user=user, available=False)


def open_disk_incident(desk_agent, caller):
    return services.incident_open(actor=desk_agent, caller=caller, short_description="disk full")


def test_round_robin_skips_members_who_are_away(desk_agent, caller, tier2):
    group, (a, b, c) = tier2
    rule_for(group, "round_robin")
    away(b)
    picks = [open_disk_incident(desk_agent, caller).assignee for _ in range(3)]
    assert picks == [a, c, a]
    # Back from leave: the rotation takes them in again where it stands.
    user_set_available(actor=b, user=b, available=True)
    assert [open_disk_incident(desk_agent, caller).assignee for _ in range(2)] == [b, c]


def test_least_loaded_skips_the_least_loaded_member_when_away(desk_agent, caller, tier2):
    group, (a, b, c) = tier2
    rule_for(group, "least_loaded")
    for member, count in ((a, 2), (c, 1)):
        for _ in range(count):
            IncidentFactory(assignment_group=group, assignee=member, state=State.IN_PROGRESS)
    assert open_disk_incident(desk_agent, caller).assignee == b  # no open work at all
    away(b)  # now at one, like c, but away
    assert open_disk_incident(desk_agent, caller).assignee == c


def test_nobody_available_leaves_the_incident_unassigned_in_the_group(desk_agent, caller, tier2):
    group, members = tier2
    rule = rule_for(group, "round_robin")
    for member in members:
        away(member)
    incident = open_disk_incident(desk_agent, caller)
    assert incident.assignment_group == group
    assert incident.assignee is None and incident.state == State.NEW
    rule.refresh_from_db()
    assert rule.last_assignee is None
    rule.auto_assign = "least_loaded"
    rule.save()
    assert open_disk_incident(desk_agent, caller).assignee is None


def test_an_agent_who_is_away_can_still_be_assigned_by_hand(desk_agent, caller, tier2):
    group, (a, _, _) = tier2
    away(a)
    incident = services.incident_open(
        actor=desk_agent,
        caller=caller,
        short_description="Printer jam",
        assignment_group=group,
        assignee=a,
    )
    assert incident.assignee == a
