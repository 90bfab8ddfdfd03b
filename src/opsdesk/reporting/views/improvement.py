"""The improvement register's pages: the list by state, raising and editing an action, its
page with the metric before and since, and moving it on. Every write goes through services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.views.generic import agent_required, form_page, list_page, save_form
from opsdesk.reporting.forms import ImprovementForm, OutcomeForm
from opsdesk.reporting.models import ImprovementAction, ImprovementState
from opsdesk.reporting.periods import local_day
from opsdesk.reporting.selectors import improvement_list, improvement_measure
from opsdesk.reporting.services.improvement import (
    improvement_create,
    improvement_transition,
    improvement_update,
)
from opsdesk.reporting.workflow import IMPROVEMENT_WORKFLOW

PAGE_SIZE = 20
DONE_MESSAGES = {
    "start": "{number} is in progress: its “after” figures count from today.",
    "finish": "{number} is done.",
    "drop": "{number} is dropped.",
    "reopen": "{number} is back in progress.",
}


@agent_required
def register(request):
    state = request.GET.get("state", "")
    if state not in ImprovementState.values:
        state = ""
    return list_page(
        request,
        queryset=improvement_list(viewer=request.user, state=state),
        filter_form=None,
        template="reporting/improvement/list.html",
        rows_template="reporting/improvement/_rows.html",
        per_page=PAGE_SIZE,
        extra={"states": ImprovementState.choices, "state": state},
    )


@agent_required
def create(request):
    initial = {
        key: request.GET[key]
        for key in ("metric_key", "team", "service", "priority", "record_type", "dashboard")
        if request.GET.get(key)
    }
    for key in ("problem", "review"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    initial.setdefault("owner", request.user)
    form = ImprovementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        action = save_form(
            form, lambda: improvement_create(actor=request.user, values=form.values())
        )
        if action is not None:
            messages.success(request, f"Improvement action {action.number} is on the register.")
            return redirect("reporting:improvement", number=action.number)
    return form_page(
        request,
        form,
        title="New improvement action",
        cancel_url=reverse("reporting:improvements"),
        submit_label="Add to the register",
    )


def _action(number: str) -> ImprovementAction:
    return get_object_or_404(
        ImprovementAction.objects.select_related("owner", "problem", "review__incident"),
        number=number,
    )


@agent_required
def edit(request, number):
    action = _action(number)
    form = ImprovementForm(request.POST or None, initial=ImprovementForm.initial_for(action))
    if request.method == "POST" and form.is_valid():
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        saved = save_form(
            form,
            lambda: improvement_update(
                actor=request.user, action=action, values=form.values(), expected_version=version
            ),
        )
        if saved is not None:
            messages.success(request, f"{saved.number} is saved.")
            return redirect("reporting:improvement", number=saved.number)
    return form_page(
        request,
        form,
        title=f"Edit {action.number}",
        cancel_url=reverse("reporting:improvement", args=[action.number]),
        template="reporting/improvement/form.html",
        version=action.version,
    )


@agent_required
def detail(request, number):
    action = _action(number)
    today = local_day(timezone.now())
    return render(
        request,
        "reporting/improvement/detail.html",
        {
            "action": action,
            "measure": improvement_measure(action=action, today=today),
            "moves": IMPROVEMENT_WORKFLOW.allowed(action.state),
            "overdue": bool(
                action.due_on and action.due_on < today and action.state not in ("done", "dropped")
            ),
            "outcome_form": OutcomeForm(initial={"version": action.version}),
        },
    )


@agent_required
@require_POST
def move(request, number, name):
    action = _action(number)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The page was out of date; look again and retry.")
        return redirect("reporting:improvement", number=action.number)
    try:
        moved = improvement_transition(
            actor=request.user,
            action=action,
            name=name,
            outcome=form.cleaned_data.get("outcome") or "",
            expected_version=form.cleaned_data["version"],
        )
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from refusal
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("reporting:improvement", number=action.number)
    messages.success(
        request, DONE_MESSAGES.get(name, "{number} is saved.").format(number=moved.number)
    )
    return redirect("reporting:improvement", number=moved.number)
