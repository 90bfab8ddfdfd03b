"""Opening an incident: everything it writes, and configuration changes seen at once.

The creation path reads the SLA policies from a per-process copy that a database stamp keeps
honest, writes a new incident's clocks in bulk and skips re-reading what it has just written;
these tests pin down that what users and administrators see is unchanged.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.core.audit import audit_verify
from opsdesk.core.models import AuditEntry, OutboxEvent, TimelineEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents import services
from opsdesk.incidents.models import Incident
from opsdesk.incidents.testing import IncidentFactory
from opsdesk.sla import services as sla
from opsdesk.sla.clock import compute_due
from opsdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer, TimerEvent
from opsdesk.sla.policies import calendar_update, policy_update
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db

TIMER_FIELDS = [
    "record_type",
    "cycle",
    "kind",
    "team_id",
    "policy_id",
    "calendar_id",
    "target",
    "state",
    "started_at",
    "elapsed",
    "elapsed_at",
    "due_at",
    "stopped_at",
    "breached_at",
    "warned_threshold",
    "next_check_at",
]
EVENT_FIELDS = ["kind", "at", "reason", "elapsed", "due_at", "data"]


@pytest.fixture
def office(db):
    return CalendarFactory(name="Office hours (London)")


@pytest.fixture
def standard(office):
    return PolicyFactory(
        name="Standard",
        order=10,
        response_target=timedelta(hours=4),
        resolution_target=timedelta(hours=30),
        ola_target=timedelta(hours=15),
        response_calendar=office,
        resolution_calendar=office,
    )


def open_incident(actor, caller, **kw):
    kw.setdefault("short_description", "Email is down")
    return services.incident_open(actor=actor, caller=caller, **kw)


def clocks(incident) -> list[dict]:
    timers = SlaTimer.objects.filter(object_id=str(incident.pk)).order_by("id")
    return [
        {
            **{name: getattr(t, name) for name in TIMER_FIELDS},
            "events": [
                {name: getattr(e, name) for name in EVENT_FIELDS}
                for e in TimerEvent.objects.filter(timer=t).order_by("id")
            ],
        }
        for t in timers
    ]


def clocks_one_by_one(*, group, state="new", **attributes) -> tuple[list[dict], object]:
    """The clocks the general calls give a record: sla_start, then the group's OLA."""
    record = IncidentFactory(assignment_group=group, state=state)
    at = record.opened_at
    attributes = {"priority": "P5", "service_id": None, "ci_criticality": None, **attributes}
    sla.sla_start(record=record, record_type="incident", attributes=attributes, at=at, state=state)
    if group is not None:
        sla.sla_assignment_changed(record=record, team_id=group.pk, at=at)
    return clocks(record), at


# --- the clocks a new incident gets ----------------------------------------------------------
@pytest.mark.parametrize("with_group", [True, False])
def test_new_incidents_get_the_clocks_the_general_calls_give(standard, with_group, monkeypatch):
    group = TeamFactory(name="Service Desk") if with_group else None
    caller = UserFactory(roles=[Role.REQUESTER])
    reference, at = clocks_one_by_one(group=group, caller_vip=False, department="Finance")
    monkeypatch.setattr(timezone, "now", lambda: at)
    incident = open_incident(None, caller, assignment_group=group, impact=3, urgency=3)
    assert incident.opened_at == at
    assert clocks(incident) == reference
    assert [c["kind"] for c in reference] == (
        ["response", "resolution", "ola"] if with_group else ["response", "resolution"]
    )


def test_a_policy_that_pauses_new_records_starts_them_paused(office, monkeypatch):
    PolicyFactory(
        name="Paused at first",
        response_calendar=office,
        resolution_calendar=office,
        ola_target=timedelta(hours=2),
        pause_states=["new"],
    )
    group = TeamFactory(name="Service Desk")
    reference, at = clocks_one_by_one(group=group)
    monkeypatch.setattr(timezone, "now", lambda: at)
    incident = open_incident(None, UserFactory(), assignment_group=group)
    opened = clocks(incident)
    assert opened == reference
    assert {c["state"] for c in opened} == {"paused"}
    assert all([e["kind"] for e in c["events"]] == ["started", "paused"] for c in opened)


def test_a_response_only_policy_without_a_resolution_calendar_has_no_ola(office, monkeypatch):
    PolicyFactory(
        name="Response only",
        response_calendar=office,
        resolution_target=None,
        resolution_calendar=None,
    )
    group = TeamFactory(name="Service Desk")
    reference, at = clocks_one_by_one(group=group)
    monkeypatch.setattr(timezone, "now", lambda: at)
    incident = open_incident(None, UserFactory(), assignment_group=group)
    assert clocks(incident) == reference
    assert [c["kind"] for c in reference] == ["response"]


# --- administrators' changes count from the next incident -------------------------------------
def resolution_target(incident) -> timedelta:
    return SlaTimer.objects.get(object_id=str(incident.pk), kind="resolution").target


def test_a_policy_edited_through_its_service_applies_to_the_next_incident(standard, admin_user_):
    caller = UserFactory()
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=30)
    policy_update(actor=admin_user_, policy=standard, resolution_target=timedelta(hours=12))
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=12)


def test_a_policy_edited_over_the_api_applies_to_the_next_incident(standard, admin_user_, api):
    caller = UserFactory()
    open_incident(None, caller)
    answer = api(admin_user_).patch(
        f"/api/sla/policies/{standard.pk}/", {"resolution_target": "05:00:00"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=5)


def test_bulk_updates_and_new_policies_are_seen_too(standard, office):
    caller = UserFactory()
    open_incident(None, caller)
    SlaPolicy.objects.filter(pk=standard.pk).update(resolution_target=timedelta(hours=9))
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=9)
    PolicyFactory(
        name="Finance first",
        order=1,
        conditions={"department": ["Finance"]},
        resolution_target=timedelta(hours=2),
        response_calendar=office,
    )
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=2)
    SlaPolicy.objects.filter(name="Finance first").update(active=False)
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=9)
    PolicyFactory(
        name="Sales first",
        order=1,
        conditions={"department": ["Sales"]},
        resolution_target=timedelta(hours=1),
        response_calendar=office,
    )
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=9)
    SlaPolicy.objects.filter(name="Sales first").delete()
    seller = UserFactory(department="Sales")
    assert resolution_target(open_incident(None, seller)) == timedelta(hours=9)


def test_a_calendar_change_moves_the_next_incidents_due_time(standard, office, admin_user_):
    caller = UserFactory()

    def response_due_as_computed_now(incident) -> bool:
        timer = SlaTimer.objects.get(object_id=str(incident.pk), kind="response")
        calendar = BusinessCalendar.objects.get(pk=office.pk)
        return timer.due_at == compute_due(calendar, timer.started_at, timedelta(hours=4))

    assert response_due_as_computed_now(open_incident(None, caller))
    calendar_update(actor=admin_user_, calendar=office, always_open=True)
    incident = open_incident(None, caller)
    assert response_due_as_computed_now(incident)
    timer = SlaTimer.objects.get(object_id=str(incident.pk), kind="response")
    assert timer.due_at - timer.started_at == timedelta(hours=4)
    BusinessCalendar.objects.filter(pk=office.pk).update(
        always_open=False, working_hours={"sat": [["10:00", "11:00"]]}
    )
    assert response_due_as_computed_now(open_incident(None, caller))


def test_a_rolled_back_change_is_forgotten(standard):
    caller = UserFactory()
    open_incident(None, caller)
    with pytest.raises(RuntimeError), transaction.atomic():
        SlaPolicy.objects.filter(pk=standard.pk).update(resolution_target=timedelta(hours=1))
        assert resolution_target(open_incident(None, caller)) == timedelta(hours=1)
        raise RuntimeError("changed my mind")
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=30)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_committed_by_another_process_is_seen():
    office = CalendarFactory(name="Office")
    policy = PolicyFactory(
        name="Standard", resolution_target=timedelta(hours=30), response_calendar=office
    )
    caller = UserFactory()
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=30)

    def elsewhere():
        try:
            SlaPolicy.objects.filter(pk=policy.pk).update(resolution_target=timedelta(hours=3))
        finally:
            connection.close()

    other = threading.Thread(target=elsewhere)
    other.start()
    other.join()
    assert resolution_target(open_incident(None, caller)) == timedelta(hours=3)


# --- one creation, end to end ------------------------------------------------------------------
def test_a_p1_with_an_assignee_is_started_paged_proposed_and_audited(standard, office):
    team = TeamFactory(name="Service Desk")
    agent = UserFactory(roles=[Role.AGENT])
    team.members.add(agent)
    team.lead = agent
    team.save()
    incident = open_incident(
        agent, UserFactory(), impact=1, urgency=1, assignment_group=team, assignee=agent
    )
    incident.refresh_from_db()
    assert incident.state == "in_progress" and incident.major_proposed
    assert incident.version == 3
    actions = list(
        AuditEntry.objects.filter(object_id=str(incident.pk)).values_list("action", flat=True)
    )
    assert actions == ["incident.opened", "incident.start", "incident.major_proposed"]
    topics = list(OutboxEvent.objects.values_list("topic", flat=True))
    assert topics[:2] == ["incident.opened", "incident.assigned"]
    assert {"incident.started", "incident.page", "incident.major_proposed"} <= set(topics)
    page = incident.pages.get()
    assert page.status == "exhausted" and page.next_step_at is None  # no policy: lead, once
    assert page.notifications.get().user == agent
    assert TimelineEntry.objects.filter(object_id=str(incident.pk)).count() == 3
    assert audit_verify().ok


def test_the_api_answer_shows_the_links_made_at_creation(api):
    team = TeamFactory(name="Service Desk")
    agent, watcher = UserFactory(roles=[Role.AGENT]), UserFactory()
    team.members.add(agent)
    plain = api(agent).post(
        "/api/incidents/incidents/", {"short_description": "VPN drops"}, format="json"
    )
    assert plain.status_code == 201, plain.content
    assert plain.json()["watchers"] == [] and plain.json()["affected_services"] == []
    watched = api(agent).post(
        "/api/incidents/incidents/",
        {"short_description": "VPN drops again", "watchers": [watcher.pk]},
        format="json",
    )
    assert watched.json()["watchers"] == [watcher.pk]
    assert api(agent).get(f"/api/incidents/incidents/{plain.json()['id']}/").json() == (
        plain.json()
    )


def test_creating_an_incident_takes_a_bounded_number_of_statements(standard, api):
    team = TeamFactory(name="Service Desk")
    agent = UserFactory(roles=[Role.AGENT])
    team.members.add(agent)
    client = api(agent)
    client.post("/api/incidents/incidents/", {"short_description": "warm-up"}, format="json")
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(
            "/api/incidents/incidents/",
            {"short_description": "Printer jams", "impact": 3, "urgency": 2},
            format="json",
        )
    assert answer.status_code == 201
    # Roles, routing (rules, fallback group), number, matrix, the incident, the audit entry
    # (last hash, insert), timeline, SLA stamp, clocks, their history, outbox. It was 37.
    assert len(queries.captured_queries) <= 16, [q["sql"][:80] for q in queries.captured_queries]
    assert Incident.objects.count() == 2
