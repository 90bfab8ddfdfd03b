"""A requester through the API: no say over priority, and agent-only actions are forbidden."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.api import client_for
from opsdesk.incidents.models import Incident
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields", [{"impact": 1}, {"urgency": 1}, {"priority": 1}, {"impact": 1, "urgency": 1}]
)
def test_requester_cannot_set_priority_fields(caller, fields):
    answer = client_for(caller).post(
        reverse("incident-list"), {"short_description": "Printer jammed", **fields}, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]["fields"]) == set(fields)
    assert not Incident.objects.exists()


def test_agent_still_sets_impact_and_urgency(desk_agent, caller):
    answer = client_for(desk_agent).post(
        reverse("incident-list"),
        {"short_description": "Mail down", "caller": caller.pk, "impact": 1, "urgency": 1},
        format="json",
    )
    assert answer.status_code == 201
    assert Incident.objects.get().priority == 1


@pytest.mark.parametrize("action", ["start", "cancel"])
def test_requester_asking_for_an_agent_action_gets_403(caller, team, action):
    incident = IncidentFactory(assignment_group=team, caller=caller)
    answer = client_for(caller).post(
        reverse(f"incident-{action}", kwargs={"pk": incident.pk}),
        {"version": incident.version, "reason": "x"},
        format="json",
    )
    assert answer.status_code == 403
