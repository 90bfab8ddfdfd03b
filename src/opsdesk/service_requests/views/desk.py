"""The desk's side: the request item queue, an item's page with its moves, a request's page,
and skipping a plan step from its task."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.forms import TaskAssignForm
from opsdesk.core.tickets.registry import panels_for, ticket_type
from opsdesk.core.tickets.task import task_list
from opsdesk.core.timeline import timeline_for
from opsdesk.core.views.generic import agent_required
from opsdesk.core.views.ticket_actions import SHARED_ACTIONS, form_errors, shared_action
from opsdesk.service_requests import selectors, services
from opsdesk.service_requests.forms import DeliveryForm, SkipForm
from opsdesk.service_requests.plain_words import approval_story, plan_story

# Moves a person makes from the item's page; the rest are the system's.
DESK_MOVES = ("start", "ask", "fulfil", "reopen", "close", "cancel")
WITH_REASON = {
    "ask": "The question for the requester",
    "reopen": "What is missing",
    "cancel": "Why",
}


@agent_required
def item_queue(request):
    """The request items' workspace queue (the ticket platform's, with bulk actions and saved
    filters), on its "my teams' items" tab."""
    return redirect("core:queue", record_type="request_item", name="teams")


def _item_for(request, number):
    return get_object_or_404(selectors.item_list(viewer=request.user), number=number.upper())


@agent_required
def item_detail(request, number):
    item = _item_for(request, number)
    workflow = ticket_type("request_item").workflow
    allowed = {t.name: t.label for t in workflow.allowed(item.state)}
    moves = [(name, allowed[name]) for name in DESK_MOVES if name in allowed]
    return render(
        request,
        "service_requests/desk/item.html",
        {
            "item": item,
            "record": item,
            "is_agent": True,
            "moves": [(n, label) for n, label in moves if n not in WITH_REASON],
            "reason_moves": [(n, label, WITH_REASON[n]) for n, label in moves if n in WITH_REASON],
            "steps": plan_story(item),
            "approvals": approval_story(item),
            "answers": selectors.answers_shown(item),
            "assign_form": TaskAssignForm(
                initial={"assignment_group": item.assignment_group, "assignee": item.assignee}
            ),
            "timeline": timeline_for(record=item),
            "panels": panels_for("request_item"),
            "siblings": selectors.items_of(item.request).exclude(pk=item.pk),
            "delivery_form": DeliveryForm(viewer=request.user),
        },
    )


@agent_required
@require_POST
def item_action(request, number, name):
    item = _item_for(request, number)
    try:
        if name in SHARED_ACTIONS:
            shared_action(request, item, name)
        elif name == "deliver":
            form = DeliveryForm(request.POST, viewer=request.user)
            if not form.is_valid():
                messages.error(request, f"Not recorded: {form_errors(form)}")
                return redirect("service_requests:item-detail", number=item.number)
            services.item_record_delivery(actor=request.user, item=item, ci=form.cleaned_data["ci"])
            messages.success(request, f"{form.cleaned_data['ci'].name} is recorded as delivered.")
        elif name in DESK_MOVES:
            moved = services.item_transition(
                actor=request.user, item=item, action=name, reason=request.POST.get("reason", "")
            )
            messages.success(request, f"{moved.number} is {moved.get_state_display().lower()}.")
        else:
            raise Http404
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    return redirect("service_requests:item-detail", number=item.number)


@agent_required
def request_detail(request, number):
    req = get_object_or_404(selectors.request_list(viewer=request.user), number=number.upper())
    return render(
        request,
        "service_requests/desk/request.html",
        {
            "req": req,
            "items": selectors.items_of(req),
            "timeline": timeline_for(record=req),
        },
    )


@agent_required
@require_POST
def task_skip(request, pk):
    task = get_object_or_404(task_list(viewer=request.user), pk=pk)
    form = SkipForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the step is not needed.")
        return redirect("core:task-detail", pk=task.pk)
    try:
        services.plan_task_skip(actor=request.user, task=task, reason=form.cleaned_data["reason"])
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"{task.number} is skipped; the plan goes on.")
    return redirect("core:task-detail", pk=task.pk)
