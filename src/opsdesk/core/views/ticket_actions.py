"""What every ticket's page lets the desk do the same way: assign it, and reply or add a work
note. A record type's action view hands these two to ``shared_action`` and keeps its own."""

from django.contrib import messages

from opsdesk.core.forms import TaskAssignForm
from opsdesk.core.tickets import services as tickets

SHARED_ACTIONS = frozenset({"assign", "comment"})


def form_errors(form) -> str:
    return "; ".join(m for msgs in form.errors.values() for m in msgs)


def shared_action(request, record, name: str) -> None:
    """Run "assign" or "comment" on ``record`` as the signed-in user, with its confirmation
    or its refusal as a message; a service's refusal propagates to the caller's handler."""
    if name == "assign":
        form = TaskAssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Not assigned: {form_errors(form)}")
            return
        tickets.ticket_assign(
            actor=request.user,
            record=record,
            assignment_group=form.cleaned_data["assignment_group"],
            assignee=form.cleaned_data["assignee"],
        )
        messages.success(request, f"{record.number} is assigned.")
    elif name == "comment":
        internal = bool(request.POST.get("internal"))
        tickets.ticket_comment(
            actor=request.user,
            record=record,
            body=request.POST.get("body", ""),
            internal=internal,
        )
        messages.success(request, "Your work note is added." if internal else "Your reply is sent.")
    else:
        raise ValueError(f"not a shared action: {name!r}")
