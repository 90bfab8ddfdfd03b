"""An incident's typed history: a row for every change and milestone metrics read, written by
the platform in the change's transaction, and the same rows back-filled from the timeline."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from opsdesk.core.models import OutboxEvent, TicketHistory
from opsdesk.core.testing.factories import TeamFactory
from opsdesk.incidents import services
from opsdesk.incidents.testing import resolution_code
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db

backfill = importlib.import_module(
    "opsdesk.incidents.migrations.0009_backfill_ticket_history"
).backfill

COLUMNS = ("change", "from_value", "to_value", "actor_id", "group_id", "assignee_id", "priority")


def rows(incident, *changes):
    found = TicketHistory.objects.filter(record_type="incident", record_id=incident.pk)
    if changes:
        found = found.filter(change__in=changes)
    return list(found.order_by("at", "id").values_list(*COLUMNS))


def a_day_in_the_life(desk_agent, caller, team):
    """Opened, assigned, reprioritised, held, answered, resumed, resolved, reopened."""
    second = TeamFactory(name="Network")
    second.members.add(desk_agent)
    incident = services.incident_open(
        actor=desk_agent, caller=caller, short_description="VPN drops every hour"
    )
    incident = services.incident_assign(
        actor=desk_agent, incident=incident, assignment_group=team, assignee=desk_agent
    )
    incident = services.incident_assign(
        actor=desk_agent, incident=incident, assignment_group=second, assignee=desk_agent
    )
    incident = services.incident_update(actor=desk_agent, incident=incident, impact=1, urgency=1)
    incident = services.incident_transition(
        actor=desk_agent, incident=incident, action="hold", hold_reason="awaiting_caller"
    )
    services.incident_comment(actor=desk_agent, incident=incident, body="Which office are you in?")
    incident = services.incident_transition(actor=desk_agent, incident=incident, action="resume")
    incident = services.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Replaced the tunnel certificate.",
    )
    incident = services.incident_transition(
        actor=caller, incident=incident, action="reopen", reason="It dropped again."
    )
    return incident, second


def test_every_change_and_milestone_is_a_row(desk_agent, caller, team):
    incident, second = a_day_in_the_life(desk_agent, caller, team)
    me = desk_agent.pk
    assert rows(incident, "state", "assignment_group", "assignee", "priority") == [
        ("assignee", "", str(me), me, team.pk, me, 5),
        ("state", "new", "in_progress", me, team.pk, me, 5),
        ("assignment_group", str(team.pk), str(second.pk), me, second.pk, me, 5),
        ("priority", "5", "1", me, second.pk, me, 1),
        ("state", "in_progress", "on_hold", me, second.pk, me, 1),
        ("state", "on_hold", "in_progress", me, second.pk, me, 1),
        ("state", "in_progress", "resolved", me, second.pk, me, 1),
        ("state", "resolved", "in_progress", caller.pk, second.pk, me, 1),
    ]
    milestones = [
        r[0] for r in rows(incident, "opened", "first_public_reply", "resolved", "reopened")
    ]
    assert milestones == ["opened", "first_public_reply", "resolved", "reopened"]


def test_acknowledging_is_a_milestone_once(desk_agent, caller, team):
    incident = services.incident_open(
        actor=desk_agent, caller=caller, short_description="Printer offline", assignment_group=team
    )
    services.incident_acknowledge(actor=desk_agent, incident=incident)
    services.incident_acknowledge(actor=desk_agent, incident=incident)
    assert [r[0] for r in rows(incident, "acknowledged")] == ["acknowledged"]
    fact = OutboxEvent.objects.get(topic="incident.acknowledged")
    assert fact.payload["actor_id"] == desk_agent.pk


def test_sla_pauses_and_resumes_are_rows_naming_the_clock(desk_agent, caller, team):
    always = CalendarFactory(name="24x7", always_open=True, working_hours={})
    PolicyFactory(
        name="Everything",
        response_target=timedelta(hours=1),
        resolution_target=timedelta(hours=8),
        response_calendar=always,
        resolution_calendar=always,
    )
    incident = services.incident_open(
        actor=desk_agent,
        caller=caller,
        short_description="Laptop slow",
        assignee=desk_agent,
        assignment_group=team,
    )
    incident = services.incident_transition(
        actor=desk_agent, incident=incident, action="hold", hold_reason="awaiting_caller"
    )
    services.incident_transition(actor=desk_agent, incident=incident, action="resume")
    paused = {r[2] for r in rows(incident, "sla_paused")}
    resumed = {r[2] for r in rows(incident, "sla_resumed")}
    assert "resolution" in paused and paused == resumed


def test_every_fact_names_its_actor(desk_agent, caller, team):
    a_day_in_the_life(desk_agent, caller, team)
    topics = {
        "incident.assigned",
        "incident.priority_changed",
        "incident.held",
        "incident.resolved",
    }
    for fact in OutboxEvent.objects.filter(topic__in=topics):
        assert fact.payload["actor_id"] == desk_agent.pk, fact.topic
    (reopened,) = OutboxEvent.objects.filter(topic="incident.reopened")
    assert reopened.payload["actor_id"] == caller.pk


def test_the_back_fill_rebuilds_the_same_rows_from_the_timeline(desk_agent, caller, team):
    incident, _ = a_day_in_the_life(desk_agent, caller, team)
    fields = ("state", "assignment_group", "assignee", "priority", "resolved", "reopened")
    live = rows(incident, *fields)
    TicketHistory.objects.filter(record_type="incident").delete()
    backfill(apps, None)
    assert rows(incident, *fields) == live
    assert [r[0] for r in rows(incident, "opened")] == ["opened"]
    assert [r[0] for r in rows(incident, "first_public_reply")] == ["first_public_reply"]
