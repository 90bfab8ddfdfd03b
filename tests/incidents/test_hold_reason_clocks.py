"""Which hold reasons pause which clock is the SLA policy's say, not every hold's.

Waiting for the caller is not the desk's time; waiting for a vendor is, unless the policy's
manager decides otherwise on the policy page.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import admin
from opsdesk.core.testing.views import browser_for
from opsdesk.incidents import services
from opsdesk.sla.models import SlaTimer
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(db):
    always = CalendarFactory(name="24x7", always_open=True, working_hours={})
    # Made as a new policy would be: the pause reasons are the defaults.
    return PolicyFactory(
        name="Standard",
        response_target=timedelta(hours=4),
        resolution_target=timedelta(hours=24),
        ola_target=timedelta(hours=8),
        response_calendar=always,
        resolution_calendar=always,
    )


def clock_states(incident) -> dict[str, str]:
    return {t.kind: t.state for t in SlaTimer.objects.filter(object_id=str(incident.pk))}


def opened(caller, team, agent):
    return services.incident_open(
        actor=None,
        caller=caller,
        short_description="Printer jams",
        assignment_group=team,
        assignee=agent,
        impact=3,
        urgency=3,
    )


def hold(agent, incident, reason, message=""):
    """Put on hold, or change the reason, through the agent page's own form."""
    return browser_for(agent).post(
        reverse("incidents:action", args=[incident.pk, "hold"]),
        {"hold_reason": reason, "reason": message},
        follow=True,
    )


def test_new_policies_pause_for_the_caller_and_not_for_a_vendor(policy):
    assert policy.response_pause_reasons == ["awaiting_caller"]
    assert policy.resolution_pause_reasons == ["awaiting_caller"]


def test_waiting_for_a_vendor_keeps_every_clock_running(policy, caller, team, desk_agent):
    incident = opened(caller, team, desk_agent)
    page = hold(desk_agent, incident, "awaiting_vendor").content.decode()
    assert "Put on hold." in page
    assert clock_states(incident) == {
        "response": "running",
        "resolution": "running",
        "ola": "running",
    }


def test_waiting_for_the_caller_pauses_every_clock(policy, caller, team, desk_agent):
    incident = opened(caller, team, desk_agent)
    hold(desk_agent, incident, "awaiting_caller")
    assert clock_states(incident) == {"response": "paused", "resolution": "paused", "ola": "paused"}
    resolution = SlaTimer.objects.get(object_id=str(incident.pk), kind="resolution")
    assert resolution.events.last().reason == "On hold · Awaiting caller"


def test_switching_the_hold_reason_pauses_and_resumes(policy, caller, team, desk_agent):
    incident = opened(caller, team, desk_agent)
    hold(desk_agent, incident, "awaiting_vendor")
    due_while_running = SlaTimer.objects.get(object_id=str(incident.pk), kind="resolution").due_at

    page = hold(desk_agent, incident, "awaiting_caller").content.decode()
    incident.refresh_from_db()
    assert incident.state == "on_hold" and incident.hold_reason == "awaiting_caller"
    assert "Hold reason Awaiting vendor → Awaiting caller." in page
    assert "Change the hold reason" in page
    assert set(clock_states(incident).values()) == {"paused"}

    hold(desk_agent, incident, "awaiting_vendor")
    assert set(clock_states(incident).values()) == {"running"}
    resolution = SlaTimer.objects.get(object_id=str(incident.pk), kind="resolution")
    resumed = resolution.events.last()
    assert resumed.kind == "resumed"
    assert resumed.reason == "On hold · Awaiting vendor"
    # The history says when the clock was due before it paused.
    assert resumed.data["due_before_pause"] == due_while_running.isoformat()
    record = browser_for(desk_agent).get(reverse("incidents:detail", args=[incident.pk]))
    shown = formats.localize(timezone.template_localtime(due_while_running))
    assert f"(due {shown} before the pause)" in record.content.decode()


def test_the_same_reason_again_is_refused_and_nothing_moves(policy, caller, team, desk_agent):
    incident = opened(caller, team, desk_agent)
    hold(desk_agent, incident, "awaiting_caller")
    incident.refresh_from_db()
    version = incident.version
    page = hold(desk_agent, incident, "awaiting_caller").content.decode()
    assert "It is already on hold: Awaiting caller." in page
    incident.refresh_from_db()
    assert incident.version == version


def test_resuming_after_a_vendor_hold_needs_no_clock_change(policy, caller, team, desk_agent):
    incident = opened(caller, team, desk_agent)
    hold(desk_agent, incident, "awaiting_vendor")
    services.incident_transition(actor=desk_agent, incident=incident, action="resume")
    resolution = SlaTimer.objects.get(object_id=str(incident.pk), kind="resolution")
    assert [e.kind for e in resolution.events.all()] == ["started"]


def test_a_policy_edit_on_its_page_applies_to_the_next_incident(
    policy, caller, team, desk_agent, client
):
    client.force_login(admin())
    form = client.get(reverse("sla:policy-edit", args=[policy.pk])).content.decode()
    assert "Awaiting vendor" in form and "Resolution and OLA clocks pause for" in form
    posted = {
        "name": policy.name,
        "order": policy.order,
        "active": "on",
        "record_type": "incident",
        "response_target": "4:00:00",
        "response_calendar": policy.response_calendar_id,
        "resolution_target": "1 00:00:00",
        "resolution_calendar": policy.resolution_calendar_id,
        "ola_target": "8:00:00",
        "pause_states": "on_hold",
        "response_pause_reasons": ["awaiting_caller"],
        "resolution_pause_reasons": ["awaiting_vendor", "awaiting_caller"],
        "warning_thresholds": "50, 75, 90",
        "version": policy.version,
    }
    response = client.post(reverse("sla:policy-edit", args=[policy.pk]), posted, follow=True)
    page = response.content.decode()
    assert f"Policy {policy.name} is saved." in page
    assert "Awaiting caller, Awaiting vendor" in page
    policy.refresh_from_db()
    assert policy.resolution_pause_reasons == ["awaiting_caller", "awaiting_vendor"]
    audit = AuditEntry.objects.filter(action="slapolicy.updated", object_id=str(policy.pk)).last()
    assert "resolution_pause_reasons" in audit.changes

    incident = opened(caller, team, desk_agent)
    hold(desk_agent, incident, "awaiting_vendor")
    assert clock_states(incident) == {
        "response": "running",
        "resolution": "paused",
        "ola": "paused",
    }


def test_policy_page_shows_the_pause_reasons_by_label(policy, client):
    client.force_login(admin())
    page = client.get(reverse("sla:policy-detail", args=[policy.pk])).content.decode()
    assert "Awaiting caller" in page
    assert "awaiting_caller" not in page


def test_the_form_offers_labels_ticks_the_defaults_and_refuses_unknown_reasons(policy, client):
    client.force_login(admin())
    blank = client.get(reverse("sla:policy-create")).content.decode()
    for label in ("Awaiting caller", "Awaiting vendor", "Awaiting change", "Awaiting problem fix"):
        assert label in blank
    assert blank.count("checked") >= 2  # awaiting caller, for each clock
    version = policy.version
    refused = client.post(
        reverse("sla:policy-edit", args=[policy.pk]),
        {
            "name": policy.name,
            "order": policy.order,
            "record_type": "incident",
            "response_target": "4:00:00",
            "response_calendar": policy.response_calendar_id,
            "resolution_target": "1 00:00:00",
            "resolution_calendar": policy.resolution_calendar_id,
            "pause_states": "on_hold",
            "resolution_pause_reasons": ["awaiting_godot"],
            "version": policy.version,
        },
    )
    assert refused.status_code == 200
    assert "awaiting_godot is not one of the available choices" in refused.content.decode()
    policy.refresh_from_db()
    assert policy.resolution_pause_reasons == ["awaiting_caller"]
    assert policy.version == version


def test_the_service_refuses_a_reason_the_record_type_does_not_have(policy):
    from opsdesk.core.errors import DomainError
    from opsdesk.sla.policies import policy_update

    with pytest.raises(DomainError) as refusal:
        policy_update(actor=admin(), policy=policy, resolution_pause_reasons=["awaiting_godot"])
    assert "resolution_pause_reasons" in refusal.value.fields
