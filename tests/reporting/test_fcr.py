"""First-contact resolution, case by case, through the real services on a frozen clock.

The desk works Monday to Friday 08:00–17:00 London time (``office`` in the ticket metric
tests); March 2026 before the 29th is on GMT.
"""

from datetime import date

import pytest

from opsdesk.core.testing.factories import TeamFactory
from opsdesk.incidents import services as incidents
from opsdesk.problems import services as problems
from opsdesk.reporting.metrics import Filters, compute, metric
from opsdesk.reporting.models import RecordFact

# The desk's calendar, policies, teams and clock are the ticket metric tests' fixtures.
from tests.reporting.test_ticket_metrics import (  # noqa: F401
    clock,
    net_agent,
    network,
    office,
    open_incident,
    policies,
    resolve,
)

pytestmark = pytest.mark.django_db


def phone_resolved_at_once(ctx):
    # Mon 2 Mar 09:00 call, resolved 09:20 while the caller is on the line.
    incident = ctx.open("phone", (2026, 3, 2, 9, 0))
    ctx.clock.at(2026, 3, 2, 9, 20)
    return resolve(ctx.agent, incident)


def phone_reassigned(ctx):
    # 09:00 call to the desk, handed to Network 09:05, resolved there 09:20.
    incident = ctx.open("phone", (2026, 3, 2, 9, 0))
    ctx.clock.at(2026, 3, 2, 9, 5)
    incident = incidents.incident_assign(
        actor=ctx.agent, incident=incident, assignment_group=ctx.network
    )
    ctx.clock.at(2026, 3, 2, 9, 20)
    return resolve(ctx.agent, incident)


def phone_on_hold_for_the_caller(ctx):
    # 09:00 call, taken 09:01, on hold awaiting the caller 09:05–09:10, resolved 09:20.
    incident = ctx.open("phone", (2026, 3, 2, 9, 0))
    ctx.clock.at(2026, 3, 2, 9, 1)
    incident = incidents.incident_assign(
        actor=ctx.agent, incident=incident, assignment_group=ctx.team, assignee=ctx.agent
    )
    ctx.clock.at(2026, 3, 2, 9, 5)
    incident = incidents.incident_transition(
        actor=ctx.agent, incident=incident, action="hold", hold_reason="awaiting_caller"
    )
    ctx.clock.at(2026, 3, 2, 9, 10)
    incident = incidents.incident_transition(actor=ctx.agent, incident=incident, action="resume")
    ctx.clock.at(2026, 3, 2, 9, 20)
    return resolve(ctx.agent, incident)


def phone_escalated(ctx):
    # 09:00 call, escalated to the second line 09:05, resolved 09:20.
    incident = ctx.open("phone", (2026, 3, 2, 9, 0))
    ctx.clock.at(2026, 3, 2, 9, 5)
    incident = incidents.incident_escalate(actor=ctx.agent, incident=incident, reason="Tier 2")
    ctx.clock.at(2026, 3, 2, 9, 20)
    return resolve(ctx.agent, incident)


def phone_called_back(ctx):
    # 09:00 call, resolved 11:00 on a call back: 2 h after it was logged.
    incident = ctx.open("phone", (2026, 3, 2, 9, 0))
    ctx.clock.at(2026, 3, 2, 11, 0)
    return resolve(ctx.agent, incident)


def email_in_50_minutes(ctx):
    # Mail at Mon 10:00, resolved 10:50: 50 business minutes.
    incident = ctx.open("email", (2026, 3, 2, 10, 0))
    ctx.clock.at(2026, 3, 2, 10, 50)
    return resolve(ctx.agent, incident)


def email_in_70_minutes(ctx):
    # Mail at Mon 10:00, resolved 11:10: 70 business minutes.
    incident = ctx.open("email", (2026, 3, 2, 10, 0))
    ctx.clock.at(2026, 3, 2, 11, 10)
    return resolve(ctx.agent, incident)


def email_over_the_weekend(ctx):
    # Mail on Fri 6 Mar 17:30 (after hours), resolved Mon 9 Mar 08:40: Friday adds nothing,
    # Monday 08:00–08:40 is 40 business minutes.
    incident = ctx.open("email", (2026, 3, 6, 17, 30))
    ctx.clock.at(2026, 3, 9, 8, 40)
    return resolve(ctx.agent, incident)


def event_made(ctx):
    # Made by monitoring at 09:00, resolved 09:20: no contact at all.
    ctx.clock.at(2026, 3, 2, 9, 0)
    incident = open_incident(None, ctx.caller, ctx.team, channel="event")
    ctx.clock.at(2026, 3, 2, 9, 20)
    return resolve(ctx.agent, incident)


def phone_by_known_error(ctx):
    # 09:00 call; the desk applies a known error's workaround at 09:10.
    incident = ctx.open("phone", (2026, 3, 2, 9, 0))
    ctx.clock.at(2026, 3, 2, 9, 10)
    return problems.known_error_apply(actor=ctx.agent, problem=ctx.known_error, incident=incident)


# case -> first-contact resolved (None: not an eligible contact)
CASES = [
    (phone_resolved_at_once, True),
    (phone_reassigned, False),
    (phone_on_hold_for_the_caller, False),
    (phone_escalated, False),
    (phone_called_back, False),
    (email_in_50_minutes, True),
    (email_in_70_minutes, False),
    (email_over_the_weekend, True),
    (event_made, None),
    (phone_by_known_error, True),
]


class Desk:
    def __init__(self, clock, team, network, agent, caller):  # noqa: F811
        self.clock, self.team, self.network = clock, team, network
        self.agent, self.caller = agent, caller
        self.known_error = None

    def open(self, channel, when):
        self.clock.at(*when)
        return open_incident(self.agent, self.caller, self.team, channel=channel)


@pytest.fixture
def desk(clock, policies, team, network, desk_agent, caller):  # noqa: F811
    team.escalation_team = TeamFactory(name="Second line")
    team.save()
    team.escalation_team.members.add(desk_agent)
    ctx = Desk(clock, team, network, desk_agent, caller)
    clock.at(2026, 3, 1, 12, 0)
    problem = problems.problem_create(
        actor=desk_agent, short_description="VPN drops hourly", assignment_group=team
    )
    for action in ("assess", "analyse"):
        problem = problems.problem_transition(actor=desk_agent, problem=problem, action=action)
    problems.problem_update(
        actor=desk_agent,
        problem=problem,
        symptoms="The VPN disconnects every hour",
        root_cause="Old client",
        workaround="Reinstall it.",
    )
    ctx.known_error = problems.problem_transition(
        actor=desk_agent, problem=problem, action="known_error"
    )
    return ctx


@pytest.mark.parametrize("case, expected", CASES, ids=[case.__name__ for case, _ in CASES])
def test_first_contact_resolution_case(desk, case, expected):
    incident = case(desk)
    desk.clock.deliver()
    row = RecordFact.objects.get(record_type="incident", record_id=incident.pk)
    assert row.fcr is expected


def test_fcr_is_resolved_first_time_over_eligible_contacts(desk):
    made = [(case(desk), expected) for case, expected in CASES]
    desk.clock.at(2026, 3, 10, 12, 0)
    desk.clock.deliver()
    filters = Filters(start=date(2026, 3, 2), end=date(2026, 3, 9), record_type="incident")
    # Eligible: every case but the event-made one (9); resolved first time: at once, the
    # two emails within the hour and the known error (4). 4 / 9.
    assert compute("fcr", filters).total == pytest.approx(
        {"numerator": 4, "denominator": 9, "value": 4 / 9}
    )
    behind = {f.number for f in metric("fcr").records(filters)}
    assert behind == {incident.number for incident, expected in made if expected is not None}
    known = RecordFact.objects.get(record_type="incident", record_id=made[-1][0].pk)
    assert known.resolved_by_known_error and known.fcr is True
    # By channel: phone 2 of 6 (at once, known error); email 2 of 3.
    by_channel = compute("fcr", filters.with_(group_by="channel")).rows
    assert [(row["label"], row["numerator"], row["denominator"]) for row in by_channel] == [
        ("Email", 2, 3),
        ("Phone", 2, 6),
    ]
