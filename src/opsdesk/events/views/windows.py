"""Maintenance windows: agents plan, change, end and delete them."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.errors import DomainError
from opsdesk.core.views.generic import (
    PAGE_SIZE,
    agent_required,
    edit_call,
    saved_on_post,
)
from opsdesk.events import selectors, services
from opsdesk.events.forms import (
    WindowForm,
)
from opsdesk.events.planning import window_active
from opsdesk.events.views.pages import confirm_page, form_page


@agent_required
def window_list(request):
    page_obj = Paginator(selectors.window_list(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    windows = list(page_obj.object_list)
    for window in windows:
        window.active_now = window_active(window, now)
        window.upcoming = window.starts_at > now
    return render(
        request,
        "events/window_list.html",
        {"page_obj": page_obj, "windows": windows, "can_write": True},
    )


@agent_required
def window_create(request):
    form = WindowForm(request.POST or None)
    window = saved_on_post(
        request, form, lambda: services.window_create(actor=request.user, **form.values())
    )
    if window is not None:
        messages.success(request, f"Maintenance window {window} is added.")
        return redirect("events:window-list")
    return form_page(
        request,
        form,
        title="New maintenance window",
        cancel_url=reverse("events:window-list"),
        submit_label="Plan window",
    )


@agent_required
def window_edit(request, pk):
    window = get_object_or_404(selectors.window_list(viewer=request.user), pk=pk)
    form = WindowForm(request.POST or None, instance=window)
    saved = saved_on_post(
        request, form, edit_call(request, form, services.window_update, window=window)
    )
    if saved is not None:
        messages.success(request, f"Maintenance window {saved} is saved.")
        return redirect("events:window-list")
    return form_page(
        request,
        form,
        title=f"Edit maintenance window {window}",
        cancel_url=reverse("events:window-list"),
        delete_url=reverse("events:window-delete", args=[window.pk]),
    )


@agent_required
def window_end(request, pk):
    window = get_object_or_404(selectors.window_list(viewer=request.user), pk=pk)
    if request.method == "POST":
        try:
            services.window_end(actor=request.user, window=window)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Maintenance window {window} is ended.")
        return redirect("events:window-list")
    return confirm_page(
        request,
        title=f"End maintenance window {window} now?",
        message=(
            "Events are no longer held from now on"
            + (" and the window does not repeat any more." if window.weekly else ".")
        ),
        button="End now",
        cancel_url=reverse("events:window-list"),
    )


@agent_required
def window_delete(request, pk):
    window = get_object_or_404(selectors.window_list(viewer=request.user), pk=pk)
    if request.method == "POST":
        services.window_delete(actor=request.user, window=window)
        messages.success(request, f"Maintenance window {window} is deleted.")
        return redirect("events:window-list")
    return confirm_page(
        request,
        title=f"Delete maintenance window {window}?",
        message="Events already held keep their state; new events are no longer held by it.",
        button="Delete window",
        cancel_url=reverse("events:window-list"),
        danger=True,
    )
