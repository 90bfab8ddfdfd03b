"""Task pages: the task queue, a task's page with its moves, and handing a task out from any
ticket's page. Every write goes through the ticket platform's services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.forms import TaskAssignForm, TaskForm
from opsdesk.core.models.tickets import TASK_OPEN_STATES
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets import services as tickets
from opsdesk.core.tickets.registry import panels_for, ticket_type, ticket_types
from opsdesk.core.tickets.task import task_create, task_list
from opsdesk.core.timeline import timeline_for
from opsdesk.core.views.generic import agent_required, list_page
from opsdesk.core.views.ticket_actions import SHARED_ACTIONS, shared_action

QUEUES = {"groups": "My teams' open tasks", "mine": "Assigned to me", "open": "All open"}


@agent_required
def task_queue(request):
    queue = request.GET.get("queue", "groups")
    if queue not in QUEUES:
        queue = "groups"
    tasks = task_list(viewer=request.user).filter(state__in=list(TASK_OPEN_STATES))
    if queue == "mine":
        tasks = tasks.filter(assignee=request.user)
    elif queue == "groups":
        tasks = tasks.filter(assignment_group__in=request.user.teams.all())
    return list_page(
        request,
        queryset=tasks.order_by("due_at", "opened_at", "pk"),
        filter_form=None,
        template="core/tasks/list.html",
        rows_template="core/tasks/_rows.html",
        extra={"queues": QUEUES, "queue": queue},
    )


def _moves(task):
    workflow = ticket_type("task").workflow
    return [(t.name, t.label) for t in workflow.allowed(task.state)]


@login_required
def task_detail(request, pk):
    task = get_object_or_404(task_list(viewer=request.user), pk=pk)
    parent = task.parent
    parent_type = next((t for t in ticket_types() if type(parent) is t.model), None)
    agent = is_agent(request.user)
    return render(
        request,
        "core/tasks/detail.html",
        {
            "task": task,
            "parent": parent,
            "parent_url": parent_type.url(parent) if parent_type and agent else "",
            "parent_label": parent_type.label if parent_type else "",
            "is_agent": agent,
            "moves": _moves(task) if agent else [],
            "assign_form": TaskAssignForm(
                initial={"assignment_group": task.assignment_group, "assignee": task.assignee}
            ),
            "timeline": timeline_for(record=task, public_only=not agent),
            "closing": {"complete", "incomplete", "cancel"},
            # What other apps show on a task (a plan step's item and answers).
            "record": task,
            "panels": panels_for("task"),
        },
    )


@agent_required
@require_POST
def task_action(request, pk, name):
    task = get_object_or_404(task_list(viewer=request.user), pk=pk)
    try:
        if name in SHARED_ACTIONS:
            shared_action(request, task, name)
        elif name in {t.name for t in ticket_type("task").workflow.transitions}:
            moved = tickets.ticket_transition(
                actor=request.user, record=task, action=name, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"{moved.number} is {moved.get_state_display().lower()}.")
        else:
            raise Http404
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect("core:task-detail", pk=pk)


@agent_required
@require_POST
def task_new(request, record_type, pk):
    """Hand out a task from a ticket's page; back to the new task, or to the ticket on error."""
    try:
        parent_type = ticket_type(record_type)
    except KeyError:
        raise Http404 from None
    parent = get_object_or_404(parent_type.visible(request.user), pk=pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(m for msgs in form.errors.values() for m in msgs)
        messages.error(request, f"The task was not added: {errors}")
        return redirect(parent_type.url(parent))
    try:
        task = task_create(actor=request.user, parent=parent, **form.cleaned_data)
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, f"The task was not added: {refusal.message}")
        return redirect(parent_type.url(parent))
    messages.success(request, f"Task {task.number} is added to {parent.number}.")
    return redirect("core:task-detail", pk=task.pk)
