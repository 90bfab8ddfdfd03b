"""Task pages: handing a task out from an incident, working it, the queue, and who may not."""

import pytest
from django.urls import reverse

from opsdesk.core.models import Task
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import services as incidents

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(desk_agent, caller, team):
    return incidents.incident_open(
        actor=desk_agent,
        caller=caller,
        short_description="New starter needs a laptop",
        assignment_group=team,
    )


def add_task(client, incident, team, **fields):
    data = {"short_description": "Image the laptop", "assignment_group": team.name, **fields}
    return client.post(reverse("core:task-new", args=["incident", incident.pk]), data, follow=True)


def test_an_agent_hands_out_a_task_from_the_incident_page(client, desk_agent, incident, team):
    client.force_login(desk_agent)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "No tasks yet." in page and "Add a task" in page
    answer = add_task(client, incident, team)
    task = Task.objects.get()
    assert answer.redirect_chain[-1][0] == reverse("core:task-detail", args=[task.pk])
    body = answer.content.decode()
    assert f"Task {task.number} is added to {incident.number}." in body
    assert "Open" in body and f"{incident.number}</a> · Incident" in body
    assert task.assignment_group == team
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert task.number in page and "Image the laptop" in page


def test_closing_a_task_asks_what_was_done(client, desk_agent, incident, team):
    client.force_login(desk_agent)
    add_task(client, incident, team)
    task = Task.objects.get()
    url = reverse("core:task-action", args=[task.pk, "complete"])
    refused = client.post(url, {"reason": " "}, follow=True).content.decode()
    assert "Say what was done" in refused
    task.refresh_from_db()
    assert task.state == "open"
    done = client.post(url, {"reason": "Imaged and handed over."}, follow=True).content.decode()
    assert f"{task.number} is closed complete." in done
    assert "Imaged and handed over." in done
    task.refresh_from_db()
    assert task.get_state_display() == "Closed complete"


def test_the_task_queue_lists_my_teams_open_tasks(client, desk_agent, incident, team):
    client.force_login(desk_agent)
    empty = client.get(reverse("core:task-list")).content.decode()
    assert "No open tasks here." in empty
    add_task(client, incident, team)
    listed = client.get(reverse("core:task-list")).content.decode()
    assert Task.objects.get().number in listed and incident.number in listed
    assert "in_progress" not in listed and "open</td>" not in listed


def test_a_task_without_a_description_is_refused_on_the_incident(
    client, desk_agent, incident, team
):
    client.force_login(desk_agent)
    answer = add_task(client, incident, team, short_description="")
    assert "The task was not added" in answer.content.decode()
    assert not Task.objects.exists()


def test_requesters_neither_add_nor_see_tasks(client, desk_agent, caller, incident, team):
    client.force_login(desk_agent)
    add_task(client, incident, team)
    task = Task.objects.get()
    stranger = UserFactory(roles=[Role.REQUESTER])
    client.force_login(stranger)
    assert client.get(reverse("core:task-detail", args=[task.pk])).status_code == 404
    answer = client.post(
        reverse("core:task-new", args=["incident", incident.pk]), {"short_description": "x"}
    )
    assert answer.status_code == 403
    assert client.post(reverse("core:task-action", args=[task.pk, "complete"])).status_code == 403
    assert Task.objects.count() == 1


def test_an_unknown_record_type_or_action_is_not_found(client, desk_agent, incident, team):
    client.force_login(desk_agent)
    add_task(client, incident, team)
    task = Task.objects.get()
    assert client.post(reverse("core:task-new", args=["nothing", 1])).status_code == 404
    assert client.post(reverse("core:task-action", args=[task.pk, "explode"])).status_code == 404
