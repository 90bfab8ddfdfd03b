"""Automatic steps run as the system: whoever reports, a rule's assignment is the system's."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents import services, tasks
from opsdesk.incidents.models import AssignmentRule, Incident, State
from opsdesk.incidents.testing import IncidentFactory, resolution_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def vpn_rule(db):
    group = TeamFactory(name="Network")
    member = UserFactory(roles=[Role.AGENT])
    group.members.add(member)
    AssignmentRule.objects.create(
        name="VPN keywords",
        keywords="vpn, tunnel",
        assignment_group=group,
        auto_assign="least_loaded",
    )
    return group, member


def assert_auto_assigned_by_the_system(incident, group, member):
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.assignment_group, incident.assignee) == (group, member)
    assert incident.state == State.IN_PROGRESS
    for action in ("incident.assigned", "incident.start"):
        entry = AuditEntry.objects.get(object_id=str(incident.pk), action=action)
        assert (entry.actor_id, entry.actor_label) == (None, "system")


def test_requester_reports_through_the_portal(client, caller, vpn_rule):
    client.force_login(caller)
    response = client.post(
        reverse("servicedesk:report"),
        {"short_description": "My laptop cannot connect to VPN", "who": "me", "work": "yes"},
    )
    assert response.status_code == 302
    assert_auto_assigned_by_the_system(Incident.objects.get(), *vpn_rule)


def test_requester_reports_through_the_api(caller, vpn_rule):
    made = client_for(caller).post(
        reverse("incident-list"),
        {"short_description": "My laptop cannot connect to VPN"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert_auto_assigned_by_the_system(Incident.objects.get(), *vpn_rule)


def test_agent_logs_through_the_api(desk_agent, caller, vpn_rule):
    made = client_for(desk_agent).post(
        reverse("incident-list"),
        {"short_description": "VPN tunnel drops", "caller": caller.pk, "channel": "phone"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert_auto_assigned_by_the_system(Incident.objects.get(), *vpn_rule)
    opened = AuditEntry.objects.get(action="incident.opened")
    assert opened.actor_id == desk_agent.pk  # the report itself stays the agent's


def test_mail_from_a_known_requester(vpn_rule):
    from opsdesk.servicedesk.inbound.services import mail_ingest
    from opsdesk.servicedesk.models import Mailbox
    from tests.servicedesk.mail import message, raw

    UserFactory(roles=[Role.REQUESTER], username="alice", email="alice@example.com")
    mailbox = Mailbox.objects.create(
        name="desk", address="servicedesk@example.com", assignment_group=TeamFactory()
    )
    result = mail_ingest(
        raw=raw(message(subject="My laptop cannot connect to VPN")), mailbox=mailbox
    )
    assert result.outcome == "created"
    assert_auto_assigned_by_the_system(result.incident, *vpn_rule)


def test_monitoring_event(vpn_rule):
    from django.core.cache import cache

    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.events.models import hash_secret
    from opsdesk.events.testing import SECRET, IntegrationFactory, RuleFactory
    from tests.events.helpers import send_and_process

    cache.clear()
    integration = IntegrationFactory(name="Prometheus", secret_hash=hash_secret(SECRET))
    RuleFactory(actions={"create_incident": True})
    send_and_process(
        integration, {"summary": "VPN tunnel down", "severity": "critical", "dedup_key": "vpn"}
    )
    outbox_deliver_due()
    assert_auto_assigned_by_the_system(Incident.objects.get(), *vpn_rule)


def test_scheduler_auto_close_is_the_systems(team, caller, desk_agent):
    incident = IncidentFactory(assignment_group=team, caller=caller)
    services.incident_transition(
        actor=desk_agent,
        incident=incident,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Reset",
    )
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    tasks.incidents_auto_close.call_local()
    assert Incident.objects.get(pk=incident.pk).state == State.CLOSED
    entry = AuditEntry.objects.get(object_id=str(incident.pk), action="incident.close")
    assert (entry.actor_id, entry.actor_label) == (None, "system")
