"""Boundaries that must hold however a request is shaped."""

import pytest
from django.urls import reverse

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import client_for
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import major, services
from opsdesk.incidents.models import Category, Incident, Page
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


def detail(incident):
    return reverse("incident-detail", args=[incident.pk])


def test_merging_does_not_open_a_confidential_incident_to_the_duplicates_caller(
    team, desk_agent, caller
):
    secret = IncidentFactory(assignment_group=team, confidential=True, state="in_progress")
    duplicate = IncidentFactory(assignment_group=team, caller=caller, state="in_progress")
    major.incident_merge(actor=desk_agent, duplicate=duplicate, into=secret)
    assert client_for(caller).get(detail(secret)).status_code == 404


def test_a_watcher_outside_the_group_cannot_read_a_confidential_incident(team, desk_agent):
    outsider = UserFactory(roles=[Role.AGENT])
    secret = IncidentFactory(assignment_group=team, confidential=True, watchers=[outsider])
    assert client_for(outsider).get(detail(secret)).status_code == 404
    assert client_for(desk_agent).get(detail(secret)).status_code == 200


def test_a_parent_cannot_be_merged_into_its_own_child(team, desk_agent):
    parent = IncidentFactory(assignment_group=team, state="in_progress")
    child = IncidentFactory(assignment_group=team, state="in_progress", parent=parent)
    with pytest.raises(ValidationFailed) as refused:
        major.incident_merge(actor=desk_agent, duplicate=parent, into=child)
    assert "into" in refused.value.fields
    child.refresh_from_db()
    assert child.state == "in_progress"


@pytest.mark.parametrize("shape", ["child", "closed", "hidden"])
def test_a_new_incident_cannot_hang_under_an_unsuitable_parent(team, desk_agent, caller, shape):
    top = IncidentFactory(assignment_group=team, state="in_progress")
    parent = {
        "child": lambda: IncidentFactory(assignment_group=team, parent=top),
        "closed": lambda: IncidentFactory(assignment_group=team, state="closed"),
        "hidden": lambda: IncidentFactory(confidential=True),
    }[shape]()
    before = Incident.objects.count()
    response = client_for(desk_agent).post(
        reverse("incident-list"),
        {"caller": caller.pk, "short_description": "Same outage", "parent": parent.pk},
        format="json",
    )
    assert response.status_code in (400, 403), response.content
    assert Incident.objects.count() == before


def test_a_requester_cannot_page_anyone_or_pick_channel_and_readers(caller, team):
    other = UserFactory(roles=[Role.REQUESTER])
    team.lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD])
    team.save()
    incident = services.incident_open(
        actor=caller,
        caller=caller,
        short_description="Everything is on fire",
        impact=1,
        urgency=1,
        channel="event",
        watchers=[other],
    )
    assert incident.channel == "portal"
    assert list(incident.watchers.all()) == [caller]
    assert not incident.major_proposed
    assert not Page.objects.filter(incident=incident).exists()
    assert client_for(other).get(detail(incident)).status_code == 404


def test_deleting_a_category_in_use_is_a_409(team, admin_user_):
    category = Category.objects.create(name="Printing")
    IncidentFactory(assignment_group=team, category=category)
    response = client_for(admin_user_).delete(
        reverse("incident-category-detail", args=[category.pk])
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "in_use"
    assert Category.objects.filter(pk=category.pk).exists()
