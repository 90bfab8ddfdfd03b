"""An incident's SLA clocks move with its lifecycle, in the same transaction as the change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents import services
from opsdesk.incidents.testing import resolution_code
from opsdesk.sla.models import SlaTimer
from opsdesk.sla.services import sla_check_due
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def always_open(db):
    return CalendarFactory(name="24x7", always_open=True, working_hours={})


@pytest.fixture
def policies(always_open):
    """P1/P2 fast, everything else slow; on hold pauses the clocks."""
    fast = PolicyFactory(
        name="Urgent",
        order=1,
        conditions={"priority": ["P1", "P2"]},
        response_target=timedelta(minutes=15),
        resolution_target=timedelta(hours=4),
        response_calendar=always_open,
        resolution_calendar=always_open,
    )
    slow = PolicyFactory(
        name="Standard",
        order=2,
        conditions={},
        response_target=timedelta(hours=4),
        resolution_target=timedelta(hours=24),
        response_calendar=always_open,
        resolution_calendar=always_open,
    )
    return fast, slow


def timers(incident, **filters):
    return {
        t.kind: t
        for t in SlaTimer.objects.filter(object_id=str(incident.pk), **filters).exclude(kind="ola")
    }


def open_incident(caller, group, **kw):
    kw.setdefault("impact", 3)
    kw.setdefault("urgency", 3)
    return services.incident_open(
        actor=None, caller=caller, short_description="Email is down", assignment_group=group, **kw
    )


def test_opening_starts_response_resolution_and_the_groups_ola(policies, caller, team):
    incident = open_incident(caller, team)
    clocks = timers(incident)
    assert set(clocks) == {"response", "resolution"}
    assert all(t.state == "running" and t.policy.name == "Standard" for t in clocks.values())
    ola = SlaTimer.objects.get(object_id=str(incident.pk), kind="ola")
    assert ola.team == team


def test_first_public_agent_reply_meets_the_response_target(policies, caller, team, desk_agent):
    incident = open_incident(caller, team)
    services.incident_comment(
        actor=desk_agent, incident=incident, body="Looking now", internal=True
    )
    assert timers(incident)["response"].state == "running"  # a work note is no reply
    services.incident_comment(actor=desk_agent, incident=incident, body="Looking into it")
    assert timers(incident)["response"].state == "met"
    assert timers(incident)["resolution"].state == "running"


def test_reply_and_hold_in_one_step_still_records_the_response(policies, caller, team, desk_agent):
    incident = open_incident(caller, team, assignee=desk_agent)
    incident = services.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="hold",
        hold_reason="awaiting_caller",
        reason="Which printer is it? Please send its asset tag.",
    )
    incident.refresh_from_db()
    assert incident.first_response_at is not None
    clocks = timers(incident)
    assert clocks["response"].state == "met"
    assert clocks["resolution"].state == "paused"


def test_hold_pauses_and_resume_continues_the_resolution_clock(policies, caller, team, desk_agent):
    incident = open_incident(caller, team, assignee=desk_agent)
    services.incident_transition(
        actor=desk_agent, incident=incident, action="hold", hold_reason="awaiting_caller"
    )
    assert timers(incident)["resolution"].state == "paused"
    services.incident_transition(actor=desk_agent, incident=incident, action="resume")
    assert timers(incident)["resolution"].state == "running"


def test_resolving_stops_the_clocks_as_met(policies, caller, team, desk_agent):
    incident = open_incident(caller, team, assignee=desk_agent)
    services.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Restarted the mail relay.",
    )
    clocks = timers(incident)
    assert clocks["resolution"].state == "met"
    assert clocks["response"].state in ("met", "cancelled")


def test_raising_the_priority_retargets_the_running_clocks(policies, caller, team, desk_agent):
    incident = open_incident(caller, team)
    before = timers(incident)["resolution"]
    services.incident_update(actor=desk_agent, incident=incident, impact=1, urgency=1)
    after = timers(incident)["resolution"]
    assert after.pk == before.pk  # same clock, new target: time used so far is kept
    assert after.policy.name == "Urgent"
    assert after.due_at < before.due_at


def test_reopening_starts_a_new_cycle(policies, caller, team, desk_agent):
    incident = open_incident(caller, team, assignee=desk_agent)
    services.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Fixed.",
    )
    services.incident_transition(
        actor=caller, incident=incident, action="reopen", reason="Still broken"
    )
    running = SlaTimer.objects.filter(
        object_id=str(incident.pk), kind="resolution", state="running"
    )
    assert [t.cycle for t in running] == [2]


def test_cancelling_cancels_the_clocks(policies, caller, team, desk_agent):
    incident = open_incident(caller, team)
    services.incident_transition(
        actor=desk_agent, incident=incident, action="cancel", reason="Logged twice"
    )
    assert {t.state for t in timers(incident).values()} == {"cancelled"}


def test_reassignment_hands_the_ola_clock_to_the_new_group(policies, caller, team, desk_agent):
    incident = open_incident(caller, team)
    network = TeamFactory(name="Network")
    services.incident_assign(actor=desk_agent, incident=incident, assignment_group=network)
    olas = SlaTimer.objects.filter(object_id=str(incident.pk), kind="ola").order_by("id")
    assert [(t.team.name, t.state in ("running", "paused")) for t in olas] == [
        ("Service Desk", False),
        ("Network", True),
    ]


def test_no_policy_means_no_clocks(caller, team):
    incident = open_incident(caller, team)
    assert not SlaTimer.objects.filter(object_id=str(incident.pk)).exists()


# --- escalation at thresholds ----------------------------------------------------------------
@pytest.fixture
def lead_with_manager(team):
    director = UserFactory(roles=[Role.AGENT], username="director")
    lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD], username="lead", manager=director)
    team.lead = lead
    team.save()
    return lead, director


def notices():
    return [e.payload for e in OutboxEvent.objects.filter(topic="incident.escalation_notice")]


def test_team_lead_hears_at_75_percent_and_manager_at_breach(
    policies, caller, team, lead_with_manager
):
    lead, director = lead_with_manager
    incident = open_incident(caller, team)
    start = timezone.now()
    sla_check_due(now=start + timedelta(hours=19))  # 79 % of 24 h
    outbox_deliver_due(now=start + timedelta(hours=19))
    assert [(n["level"], n["user_ids"]) for n in notices()] == [("team_lead", [lead.pk])]
    sla_check_due(now=start + timedelta(hours=25))
    outbox_deliver_due(now=start + timedelta(hours=25))
    assert [(n["level"], n["user_ids"]) for n in notices()][-1] == (
        "manager",
        [lead.pk, director.pk],
    )
    # Running the checks again escalates nothing twice.
    sla_check_due(now=start + timedelta(hours=26))
    outbox_deliver_due(now=start + timedelta(hours=26))
    assert len(notices()) == 2
    assert incident.pk == notices()[0]["incident_id"]


def test_p1_opening_notifies_the_team_lead(policies, caller, team, lead_with_manager):
    lead, _ = lead_with_manager
    open_incident(caller, team, impact=1, urgency=1)
    outbox_deliver_due()
    assert [(n["level"], n["user_ids"]) for n in notices()] == [("team_lead", [lead.pk])]


def test_functional_escalation_by_rule_at_a_threshold(policies, caller, team, settings):
    settings.OPSDESK_INCIDENT_AUTO_ESCALATE_AT = 90
    tier2 = TeamFactory(name="Tier 2")
    team.escalation_team = tier2
    team.save()
    incident = open_incident(caller, team)
    later = timezone.now() + timedelta(hours=22)  # 92 %
    sla_check_due(now=later)
    outbox_deliver_due(now=later)
    incident.refresh_from_db()
    assert incident.assignment_group == tier2


def test_breaching_soon_queue_lists_incidents_by_deadline(policies, caller, team, desk_agent):
    from django.test import Client

    urgent = open_incident(caller, team, impact=1, urgency=1)  # response due in 15 min
    calm = open_incident(caller, team)  # its clocks are moved ten hours out below
    SlaTimer.objects.filter(object_id=str(calm.pk)).update(
        due_at=timezone.now() + timedelta(hours=10)
    )
    client = Client()
    client.force_login(desk_agent)
    page = client.get("/incidents/queue/breaching/").content.decode()
    assert urgent.number in page
    assert calm.number not in page


def test_incident_page_shows_its_clocks(policies, caller, team, desk_agent):
    from django.test import Client

    incident = open_incident(caller, team)
    client = Client()
    client.force_login(desk_agent)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "SLA clocks" in page and "Standard" in page


def test_raising_to_p2_later_notifies_the_team_lead_once(
    policies, caller, team, desk_agent, lead_with_manager
):
    lead, _ = lead_with_manager
    incident = open_incident(caller, team)
    services.incident_update(actor=desk_agent, incident=incident, impact=1, urgency=2)
    services.incident_update(actor=desk_agent, incident=incident, impact=1, urgency=1)
    outbox_deliver_due()
    assert [(n["level"], n["user_ids"]) for n in notices()] == [("team_lead", [lead.pk])]
