"""Heartbeats of scheduled jobs: agents watch them, administrators add, edit and pause them."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError
from opsdesk.core.roles import is_admin
from opsdesk.core.views.generic import (
    admin_required,
    agent_required,
    edit_call,
    list_page,
    saved_on_post,
)
from opsdesk.events import heartbeats, selectors
from opsdesk.events.forms import (
    HeartbeatFilterForm,
    HeartbeatForm,
)
from opsdesk.events.models import HeartbeatStatus
from opsdesk.events.views.pages import base_url, form_page


@agent_required
def heartbeat_list(request):
    return list_page(
        request,
        queryset=selectors.heartbeat_list(viewer=request.user),
        filter_form=HeartbeatFilterForm(request.GET or None),
        template="events/heartbeat_list.html",
        rows_template="events/_heartbeat_rows.html",
        extra={"base": base_url(request), "can_write": is_admin(request.user)},
    )


@agent_required
def heartbeat_detail(request, pk):
    heartbeat = get_object_or_404(selectors.heartbeat_list(viewer=request.user), pk=pk)
    return render(
        request,
        "events/heartbeat_detail.html",
        {
            "heartbeat": heartbeat,
            "check_ins": heartbeat.check_ins.all()[:100],
            "can_write": is_admin(request.user),
        },
    )


@admin_required
def heartbeat_create(request):
    form = HeartbeatForm(request.POST or None)
    heartbeat = saved_on_post(
        request, form, lambda: heartbeats.heartbeat_create(actor=request.user, **form.values())
    )
    if heartbeat is not None:
        messages.success(request, f"Heartbeat {heartbeat} is added.")
        return redirect("events:heartbeat-detail", pk=heartbeat.pk)
    return form_page(
        request,
        form,
        title="New heartbeat",
        cancel_url=reverse("events:heartbeat-list"),
        submit_label="Create heartbeat",
    )


@admin_required
def heartbeat_edit(request, pk):
    heartbeat = get_object_or_404(selectors.heartbeat_list(viewer=request.user), pk=pk)
    form = HeartbeatForm(request.POST or None, instance=heartbeat)
    saved = saved_on_post(
        request, form, edit_call(request, form, heartbeats.heartbeat_update, heartbeat=heartbeat)
    )
    if saved is not None:
        messages.success(request, f"Heartbeat {saved} is saved.")
        return redirect("events:heartbeat-detail", pk=saved.pk)
    return form_page(
        request,
        form,
        title=f"Edit heartbeat {heartbeat}",
        cancel_url=reverse("events:heartbeat-detail", args=[heartbeat.pk]),
    )


@admin_required
@require_POST
def heartbeat_pause(request, pk):
    """Pause (a missed check-in raises nothing) or resume; a resumed job counts from now."""
    heartbeat = get_object_or_404(selectors.heartbeat_list(viewer=request.user), pk=pk)
    pause = request.POST.get("action") == "pause"
    version = request.POST.get("version", "")
    try:
        heartbeats.heartbeat_update(
            actor=request.user,
            heartbeat=heartbeat,
            expected_version=int(version) if version.isdigit() else None,
            status=HeartbeatStatus.PAUSED if pause else HeartbeatStatus.NEW,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Heartbeat {heartbeat} is {'paused' if pause else 'resumed'}.")
    return redirect("events:heartbeat-detail", pk=heartbeat.pk)
