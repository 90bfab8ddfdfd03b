"""TASK: one piece of work under any registered ticket, on the same queue, clock and history.

Request fulfilment, access provisioning and problem investigation all hand work out as tasks.
Open -> In progress -> On hold -> In progress -> Closed complete / Closed incomplete; Open,
In progress and On hold -> Cancelled. The closing states are final: a task reopened is a new
task, so the parent's record of what was done stays true.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models.tickets import TASK_OPEN_STATES, HistoryChange, Task, TaskState
from opsdesk.core.records import record_update
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.guards import agents_only, needs_group
from opsdesk.core.tickets.registry import (
    TicketType,
    default_visible,
    default_visible_to,
    register,
    ticket_type,
    ticket_type_of,
)
from opsdesk.core.workflow import Effect, Transition, Workflow


def needs_summary(task, *, reason="", **_):
    if not (reason or "").strip():
        return {"reason": "Say what was done (or why it could not be)."}
    return None


def _closed(task, *, now, reason="", **_) -> dict:
    return {"closed_at": now, "resolved_at": now, "work_notes_summary": (reason or "").strip()}


OPEN = frozenset(TASK_OPEN_STATES)
TASK_WORKFLOW = Workflow(
    states=dict(TaskState.choices),
    initial=TaskState.OPEN,
    transitions=(
        Transition(
            "start",
            frozenset({TaskState.OPEN}),
            TaskState.IN_PROGRESS,
            "Start work",
            (agents_only, needs_group),
        ),
        Transition(
            "hold",
            frozenset({TaskState.IN_PROGRESS}),
            TaskState.ON_HOLD,
            "Put on hold",
            (agents_only,),
        ),
        Transition(
            "resume",
            frozenset({TaskState.ON_HOLD}),
            TaskState.IN_PROGRESS,
            "Resume",
            (agents_only,),
        ),
        Transition(
            "complete",
            frozenset({TaskState.OPEN, TaskState.IN_PROGRESS}),
            TaskState.CLOSED_COMPLETE,
            "Close complete",
            (agents_only, needs_summary),
        ),
        Transition(
            "incomplete",
            frozenset({TaskState.IN_PROGRESS, TaskState.ON_HOLD}),
            TaskState.CLOSED_INCOMPLETE,
            "Close incomplete",
            (agents_only, needs_summary),
        ),
        Transition("cancel", OPEN, TaskState.CANCELLED, "Cancel", (agents_only, needs_summary)),
    ),
    final=frozenset({TaskState.CLOSED_COMPLETE, TaskState.CLOSED_INCOMPLETE, TaskState.CANCELLED}),
    waiting=frozenset({TaskState.ON_HOLD}),
    effects={
        "start": Effect(topic="started"),
        "hold": Effect(topic="held"),
        "resume": Effect(topic="resumed"),
        "complete": Effect(
            topic="completed", values=_closed, milestone=HistoryChange.RESOLVED, clock="resolved"
        ),
        "incomplete": Effect(
            topic="closed_incomplete",
            values=_closed,
            milestone=HistoryChange.RESOLVED,
            clock="resolved",
        ),
        "cancel": Effect(topic="cancelled", values=_closed, clock="cancelled"),
    },
)


def _task_url(task) -> str:
    from django.urls import reverse

    return reverse("core:task-detail", args=[task.pk])


def _task_queue_url() -> str:
    from django.urls import reverse

    return reverse("core:task-list")


def _staff_see(task, user) -> bool:
    """Tasks are the desk's internal work: the caller follows the ticket they raised, not its
    tasks, and hears nothing of them."""
    return is_agent(user) and default_visible_to(task, user)


_visible = default_visible(Task)


def _staff_list(viewer):
    return _visible(viewer) if is_agent(viewer) else Task.objects.none()


def register_task_type() -> TicketType:
    return register(
        TicketType(
            key="task",
            label="Task",
            model=Task,
            prefix=Task.NUMBER_PREFIX,
            workflow=TASK_WORKFLOW,
            url=_task_url,
            queue_url=_task_queue_url,
            visible_to=_staff_see,
            visible=_staff_list,
            search_fields={"short_description": "A", "description": "C"},
        )
    )


@transaction.atomic
def task_create(
    *,
    actor,
    parent,
    short_description: str,
    description: str = "",
    assignment_group=None,
    assignee=None,
    priority: int = 4,
    due_at=None,
):
    """Hand out a piece of work under ``parent`` (any registered ticket the actor may see)."""
    tickets.require_agent(actor)
    try:
        parent_type = ticket_type_of(parent)
    except LookupError:
        raise ValidationFailed(
            "A task belongs to a ticket.", fields={"parent": ["Pick a ticket."]}
        ) from None
    tickets.require_visible(actor, parent)
    if parent.state not in parent_type.open_states:
        raise ValidationFailed(
            f"{parent} is {parent.get_state_display()}.",
            fields={"parent": [f"Pick an open {parent_type.label.lower()}."]},
        )
    if assignee is not None and assignment_group is None:
        raise ValidationFailed(
            "An assignee needs an assignment group.",
            fields={"assignment_group": ["Pick the group the assignee works in."]},
        )
    tickets.check_member(assignment_group, assignee)
    task_type = ticket_type("task")
    task = tickets.ticket_create(
        task_type,
        actor=actor,
        values={
            "parent_type": ContentType.objects.get_for_model(parent),
            "parent_id": parent.pk,
            "short_description": (short_description or "").strip(),
            "description": description,
            "caller": parent.caller,
            "requested_for": getattr(parent, "requested_for", None),
            "assignment_group": assignment_group,
            "assignee": assignee,
            "priority": priority,
            "due_at": due_at,
            # A task of a confidential ticket is as confidential.
            "confidential": bool(getattr(parent, "confidential", False)),
        },
    )
    tickets.ticket_publish(task, "opened", actor=actor, parent_number=parent.number)
    return task


TASK_EDITABLE = frozenset({"short_description", "description", "priority", "due_at"})


@transaction.atomic
def task_update(*, actor, task, expected_version=None, **values):
    """Change what a task is about, its priority or its due time (agents; not once closed).

    A priority change writes its history row and moves the task's SLA clocks."""
    tickets.require_agent(actor)
    unknown = sorted(set(values) - TASK_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "These fields cannot be changed here.",
            fields={name: ["This field cannot be changed."] for name in unknown},
        )
    current = tickets.locked(task, expected_version)
    tickets.require_visible(actor, current)
    kind = ticket_type("task")
    if current.state in kind.workflow.final:
        raise ValidationFailed(
            f"{current.number} is {current.get_state_display().lower()}.",
            fields={"state": ["A closed task is not changed; hand out a new one."]},
        )
    if "short_description" in values:
        values["short_description"] = (values["short_description"] or "").strip()
    old_priority = current.priority
    updated = record_update(current, values=values, actor=actor, locked=True)
    if updated.priority != old_priority:
        now = timezone.now()
        tickets.ticket_note_change(
            updated, field="priority", old=old_priority, new=updated.priority, actor=actor, at=now
        )
        kind.clocks.priority_changed(
            updated, from_priority=old_priority, to_priority=updated.priority, at=now
        )
    return updated


def task_list(*, viewer):
    """The tasks ``viewer`` may see, with their group, assignee and parent ticket at hand."""
    return (
        ticket_type("task")
        .visible(viewer)
        .select_related("assignment_group", "assignee")
        .prefetch_related("parent")
    )


def tasks_of(parent):
    """The tasks under ``parent``, oldest first."""
    return Task.objects.filter(
        parent_type=ContentType.objects.get_for_model(parent), parent_id=parent.pk
    ).order_by("opened_at", "pk")
