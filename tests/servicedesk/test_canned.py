"""Canned responses: placeholders filled safely, team scoping, and the picker in the reply box."""

import pytest
from django.urls import reverse

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.testing.factories import TeamFactory, agent
from opsdesk.incidents.testing import IncidentFactory
from opsdesk.servicedesk import canned
from opsdesk.servicedesk.models import CannedResponse
from tests.servicedesk.factories import CannedFactory

pytestmark = pytest.mark.django_db


def test_placeholders_are_filled_and_nothing_else_is_evaluated(alice, desk_agent):
    incident = IncidentFactory(caller=alice)
    response = CannedFactory(
        body="Hi {{ caller.first_name }}, {{ incident.number }} is fixed. "
        "{{ settings.SECRET_KEY }} {% load x %} {{ agent.name }}"
    )
    text = canned.canned_render(response=response, incident=incident, agent=desk_agent)
    assert text.startswith(f"Hi Alice, {incident.number} is fixed.")
    assert "{{ settings.SECRET_KEY }}" in text and "{% load x %}" in text
    assert str(desk_agent) in text


def test_agents_see_global_and_their_teams_responses_only(desk_agent):
    mine, other = TeamFactory(), TeamFactory()
    mine.members.add(desk_agent)
    CannedFactory(title="Global")
    CannedFactory(title="Ours", team=mine)
    CannedFactory(title="Theirs", team=other)
    titles = set(canned.canned_list(viewer=desk_agent).values_list("title", flat=True))
    assert titles == {"Global", "Ours"}


def test_agent_may_not_write_global_or_other_teams_responses(api, desk_agent):
    other = TeamFactory()
    response = api(desk_agent).post(
        reverse("canned-response-list"), {"title": "X", "body": "y"}, format="json"
    )
    assert response.status_code == 403
    response = api(desk_agent).post(
        reverse("canned-response-list"),
        {"title": "X", "body": "y", "team": other.pk},
        format="json",
    )
    assert response.status_code == 403
    assert CannedResponse.objects.count() == 0


def test_requesters_cannot_list_canned_responses(api, alice):
    assert api(alice).get(reverse("canned-response-list")).status_code == 403


def test_picker_inserts_the_rendered_text_into_the_reply_box(client, alice, desk_agent):
    incident = IncidentFactory(caller=alice)
    response = CannedFactory(title="Working on it")
    client.force_login(desk_agent)
    detail = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Insert a canned response" in detail
    url = reverse("servicedesk:canned-picker", args=[incident.pk])
    assert "Working on it" in client.get(url).content.decode()
    body = client.get(url, {"response": response.pk}).content.decode()
    assert 'id="id_body"' in body and f"Hello Alice, we are working on {incident.number}." in body
    client.force_login(alice)
    assert client.get(url).status_code == 403


def test_picker_hides_incidents_the_agent_may_not_see(client):
    team = TeamFactory()
    secret = IncidentFactory(confidential=True, assignment_group=team)
    outsider = agent()
    client.force_login(outsider)
    url = reverse("servicedesk:canned-picker", args=[secret.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("in_team", [False, True])
def test_a_title_is_unique_among_global_and_within_a_team(admin_user_, in_team):
    team = TeamFactory(name="Network") if in_team else None
    canned.canned_create(actor=admin_user_, title="Password reset", body="a", team=team)
    with pytest.raises(ValidationFailed):
        canned.canned_create(actor=admin_user_, title="Password reset", body="b", team=team)
    # The same title elsewhere is fine.
    other = None if in_team else TeamFactory(name="Desk")
    canned.canned_create(actor=admin_user_, title="Password reset", body="c", team=other)
