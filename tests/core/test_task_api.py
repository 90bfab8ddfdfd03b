"""Task API: the base suite, handing a task out under a parent by number, its moves as actions
(the workflow table written out), assignment, and requesters refused."""

import pytest
from django.urls import reverse

from opsdesk.core.models import AuditEntry, Task, TicketHistory
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.tickets.task import task_create

pytestmark = pytest.mark.django_db


def work_order(**values):
    agent = UserFactory(roles=[Role.AGENT])
    caller = values.pop("caller", None) or UserFactory(roles=[Role.REQUESTER])
    return tickets.ticket_create(
        ticket_type("work_order"),
        actor=agent,
        values={"short_description": "Replace the badge reader", "caller": caller, **values},
    )


def make_task(**values):
    agent = UserFactory(roles=[Role.AGENT])
    parent = values.pop("parent", None) or work_order()
    return task_create(
        actor=agent, parent=parent, short_description="Order the spare reader", **values
    )


def url(name, **kwargs):
    return reverse(f"task-{name}", kwargs=kwargs or None)


class TestTaskCrud(APICrudSuite):
    basename = "task"
    factory = staticmethod(make_task)
    update_data = {"description": "The spare is in the basement store."}
    invalid_data = {"priority": 9}
    reader_roles = [Role.AGENT, Role.ADMINISTRATOR]
    writer_roles = [Role.AGENT, Role.ADMINISTRATOR]  # administrators work tickets too
    outsider_roles = [Role.REQUESTER]
    filter_cases = {
        "parent": lambda task: (task.parent.number, "WO9999999"),
        "number": lambda task: (task.number, "TASK9999999"),
    }

    def create_body(self) -> dict:
        return {"parent": work_order().number, "short_description": "Fit the new reader"}

    def make_for_filters(self):
        # Another task differing in every filtered field, so each filter has one to drop.
        other_team = TeamFactory(name="Facilities")
        other = UserFactory(roles=[Role.AGENT])
        other_team.members.add(other)
        make_task(assignment_group=other_team, assignee=other, priority=2)
        team = TeamFactory(name="Locksmiths")
        fitter = UserFactory(roles=[Role.AGENT])
        team.members.add(fitter)
        return make_task(assignment_group=team, assignee=fitter, priority=3)


def test_a_task_is_handed_out_under_a_parent_by_its_number(desk_agent, team, caller):
    parent = work_order(caller=caller)
    response = client_for(desk_agent).post(
        url("list"),
        {
            "parent": parent.number.lower(),
            "short_description": "Fit the new reader",
            "assignment_group": team.pk,
            "priority": 2,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["parent_number"] == parent.number and body["parent_type"] == "work_order"
    assert body["state"] == "open" and body["state_label"] == "Open"
    assert body["number"].startswith("TASK") and body["assignment_group"] == team.pk
    task = Task.objects.get(pk=body["id"])
    assert task.parent == parent and task.caller == caller
    listed = client_for(desk_agent).get(url("list"), {"parent": parent.number})
    assert [row["id"] for row in listed.json()["results"]] == [task.pk]


@pytest.mark.parametrize(
    "parent, field",
    [("WO9999999", "parent"), ("nonsense", "parent"), ("", "parent")],
)
def test_a_task_needs_a_parent_the_agent_may_see(desk_agent, parent, field):
    before = AuditEntry.objects.count()
    response = client_for(desk_agent).post(
        url("list"), {"parent": parent, "short_description": "x"}, format="json"
    )
    assert_error_shape(response, 400, field=field)
    assert AuditEntry.objects.count() == before and not Task.objects.exists()


def test_a_confidential_parent_outside_the_agents_groups_is_not_found(desk_agent):
    secret = work_order(confidential=True, assignment_group=TeamFactory(name="HR"))
    response = client_for(desk_agent).post(
        url("list"), {"parent": secret.number, "short_description": "Peek"}, format="json"
    )
    assert_error_shape(response, 400, field="parent")
    assert not Task.objects.exists()


def test_a_closed_parent_is_refused(desk_agent):
    parent = work_order()
    type(parent).objects.filter(pk=parent.pk).update(state="closed")
    response = client_for(desk_agent).post(
        url("list"), {"parent": parent.number, "short_description": "Too late"}, format="json"
    )
    assert_error_shape(response, 400, field="parent")


# Every move from every state, as the task workflow's table has it.
MOVES = {
    ("open", "start"): "in_progress",
    ("open", "complete"): "closed_complete",
    ("open", "cancel"): "cancelled",
    ("in_progress", "hold"): "on_hold",
    ("in_progress", "complete"): "closed_complete",
    ("in_progress", "incomplete"): "closed_incomplete",
    ("in_progress", "cancel"): "cancelled",
    ("on_hold", "resume"): "in_progress",
    ("on_hold", "incomplete"): "closed_incomplete",
    ("on_hold", "cancel"): "cancelled",
}
STATES = ["open", "in_progress", "on_hold", "closed_complete", "closed_incomplete", "cancelled"]
ACTIONS = ["start", "hold", "resume", "complete", "incomplete", "cancel"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("move", ACTIONS)
def test_every_move_from_every_state(desk_agent, team, state, move):
    task = make_task(assignment_group=team)
    Task.objects.filter(pk=task.pk).update(state=state)
    response = client_for(desk_agent).post(
        url(move, pk=task.pk), {"reason": "Reader fitted and tested."}, format="json"
    )
    task.refresh_from_db()
    if (state, move) in MOVES:
        assert response.status_code == 200, response.content
        assert response.json()["state"] == MOVES[(state, move)] == task.state
    else:
        assert_error_shape(response, 409 if response.status_code == 409 else 400)
        assert task.state == state


def test_closing_needs_a_summary_and_a_stale_version_is_refused(desk_agent, team):
    task = make_task(assignment_group=team)
    client = client_for(desk_agent)
    assert_error_shape(client.post(url("complete", pk=task.pk), {}, format="json"), 400, "reason")
    stale = client.post(url("start", pk=task.pk), {"version": task.version + 5}, format="json")
    assert_error_shape(stale, 409)
    task.refresh_from_db()
    assert task.state == "open"


def test_assign_through_the_platform_with_history(desk_agent, team):
    task = make_task()
    fitter = UserFactory(roles=[Role.AGENT])
    team.members.add(fitter)
    client = client_for(desk_agent)
    response = client.post(
        url("assign", pk=task.pk),
        {"assignment_group": team.pk, "assignee": fitter.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee_detail"]["id"] == fitter.pk
    changes = TicketHistory.objects.filter(record_type="task", record_id=task.pk)
    assert {"assignment_group", "assignee"} <= set(changes.values_list("change", flat=True))
    outsider = UserFactory(roles=[Role.AGENT])
    refused = client.post(
        url("assign", pk=task.pk),
        {"assignment_group": team.pk, "assignee": outsider.pk},
        format="json",
    )
    assert_error_shape(refused, 400, field="assignee")
    assert_error_shape(client.post(url("assign", pk=task.pk), {}, format="json"), 400)


def test_a_priority_change_is_history_and_a_closed_task_is_not_edited(desk_agent, team):
    task = make_task(assignment_group=team)
    client = client_for(desk_agent)
    response = client.patch(
        url("detail", pk=task.pk), {"priority": 1, "version": task.version}, format="json"
    )
    assert response.status_code == 200 and response.json()["priority"] == 1
    assert TicketHistory.objects.filter(record_type="task", record_id=task.pk, change="priority")
    client.post(url("cancel", pk=task.pk), {"reason": "Not needed after all."}, format="json")
    closed = client.patch(url("detail", pk=task.pk), {"description": "late"}, format="json")
    assert_error_shape(closed, 400, field="state")


def test_requesters_are_refused_everything(caller):
    task = make_task(parent=work_order(caller=caller))
    client = client_for(caller)
    assert_error_shape(client.get(url("list")), 403)
    assert_error_shape(client.get(url("detail", pk=task.pk)), 403)
    assert_error_shape(client.post(url("start", pk=task.pk), {}, format="json"), 403)
    body = {"parent": task.parent.number, "short_description": "Mine"}
    assert_error_shape(client.post(url("list"), body, format="json"), 403)
    task.refresh_from_db()
    assert task.state == "open" and Task.objects.count() == 1
