"""TASK: work handed out under any ticket, on the platform's assignment, history and moves."""

import pytest

from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import OutboxEvent, Task, TicketHistory
from opsdesk.core.roles import Role
from opsdesk.core.search import find_by_number
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import ticket_type
from opsdesk.core.tickets.task import task_create, tasks_of
from tests.ticketapp.models import WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(desk_agent, caller):
    return tickets.ticket_create(
        ticket_type("work_order"),
        actor=desk_agent,
        values={"short_description": "Move the finance team to floor 2", "caller": caller},
    )


def test_a_task_is_numbered_and_belongs_to_its_parent(desk_agent, team, parent):
    task = task_create(
        actor=desk_agent,
        parent=parent,
        short_description="Patch the floor 2 desks",
        assignment_group=team,
    )
    assert task.number.startswith("TASK") and task.state == "open"
    assert task.parent == parent and task.caller == parent.caller
    assert list(tasks_of(parent)) == [task]
    opened = OutboxEvent.objects.get(topic="task.opened")
    assert opened.payload["parent_number"] == parent.number
    assert opened.payload["actor_id"] == desk_agent.pk
    assert find_by_number(task.number, viewer=desk_agent)[1] == task


def test_a_requester_cannot_hand_out_tasks(caller, parent):
    with pytest.raises(NotPermitted):
        task_create(actor=caller, parent=parent, short_description="Let me do it")
    assert Task.objects.count() == 0


def test_a_task_needs_an_open_parent(desk_agent, parent):
    WorkOrder.objects.filter(pk=parent.pk).update(state="closed")
    parent.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        task_create(actor=desk_agent, parent=parent, short_description="Too late")
    assert "parent" in refused.value.fields


def test_a_task_of_a_confidential_ticket_is_confidential(desk_agent, team, parent):
    WorkOrder.objects.filter(pk=parent.pk).update(confidential=True, assignment_group=team)
    parent.refresh_from_db()
    task = task_create(actor=desk_agent, parent=parent, short_description="Quietly")
    assert task.confidential
    stranger = UserFactory(roles=[Role.AGENT])
    assert task not in ticket_type("task").visible(stranger)


# The task lifecycle, written out here and not read from the workflow under test.
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
@pytest.mark.parametrize("action", ACTIONS)
def test_every_task_move_from_every_state(desk_agent, team, parent, state, action):
    task = task_create(
        actor=desk_agent, parent=parent, short_description="Run cables", assignment_group=team
    )
    Task.objects.filter(pk=task.pk).update(state=state)
    task.refresh_from_db()
    expected = MOVES.get((state, action))
    kwargs = {"reason": "Cables run and tested."}
    if expected is None:
        with pytest.raises(TransitionRefused):
            tickets.ticket_transition(actor=desk_agent, record=task, action=action, **kwargs)
        task.refresh_from_db()
        assert task.state == state
        return
    moved = tickets.ticket_transition(actor=desk_agent, record=task, action=action, **kwargs)
    assert moved.state == expected
    row = TicketHistory.objects.get(record_type="task", record_id=task.pk, change="state")
    assert (row.from_value, row.to_value) == (state, expected)
    if expected.startswith("closed"):
        assert moved.closed_at is not None
        assert moved.work_notes_summary == "Cables run and tested."


def test_closing_a_task_needs_a_summary(desk_agent, team, parent):
    task = task_create(
        actor=desk_agent, parent=parent, short_description="Run cables", assignment_group=team
    )
    with pytest.raises(TransitionRefused) as refused:
        tickets.ticket_transition(actor=desk_agent, record=task, action="complete")
    assert "reason" in refused.value.fields


def test_a_requester_cannot_move_a_task(desk_agent, team, caller, parent):
    task = task_create(
        actor=desk_agent, parent=parent, short_description="Run cables", assignment_group=team
    )
    with pytest.raises(NotPermitted):
        tickets.ticket_transition(actor=caller, record=task, action="start")


def test_the_caller_neither_sees_nor_hears_of_the_desks_tasks(desk_agent, team, caller, parent):
    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.notifications.models import Delivery

    caller.email = "pat@example.com"
    caller.save()
    task = task_create(
        actor=desk_agent, parent=parent, short_description="Run cables", assignment_group=team
    )
    tickets.ticket_comment(actor=desk_agent, record=task, body="Cables ordered.")
    outbox_deliver_due()
    kind = ticket_type("task")
    assert not kind.visible_to(task, caller) and task not in kind.visible(caller)
    assert not Delivery.objects.filter(address="pat@example.com", record_number=task.number)
    assert kind.visible_to(task, desk_agent)


def test_search_finds_tasks_for_staff_only(desk_agent, team, caller, parent):
    from opsdesk.core.search import search

    task = task_create(actor=desk_agent, parent=parent, short_description="Patch the switchboard")
    assert [h.pk for h in search("switchboard", viewer=desk_agent)] == [task.pk]
    assert search("switchboard", viewer=caller) == []
