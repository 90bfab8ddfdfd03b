"""Scheduled reports: subscribe to a saved report or a dashboard, see and stop one's
subscriptions, and the one-click stop link of every mail (no sign-in needed)."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted, TransitionRefused
from opsdesk.core.views.generic import agent_required
from opsdesk.reporting.models import SavedReport
from opsdesk.reporting.selectors import saved_report_list, subscription_list
from opsdesk.reporting.services.reports import (
    subscription_create,
    subscription_from_token,
    subscription_stop_by_link,
    subscription_transition,
)
from opsdesk.reporting.views.builder import SubscribeForm

PAGE_SIZE = 25


def when_text(moment, user) -> str:
    """A send time on the subscriber's clock: "Monday 7 Dec 2026 at 08:00"."""
    local = timezone.localtime(moment, ZoneInfo(user.time_zone or "UTC"))
    return f"{local:%A} {local.day} {local:%b %Y} at {local:%H:%M}"


@agent_required
def subscription_index(request):
    page_obj = Paginator(subscription_list(viewer=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        (s, when_text(s.next_due_at, request.user) if s.next_due_at else "")
        for s in page_obj.object_list
    ]
    return render(
        request,
        "reporting/subscriptions/list.html",
        {"page_obj": page_obj, "rows": rows, "zone": request.user.time_zone},
    )


@agent_required
@require_POST
def subscription_new(request):
    form = SubscribeForm(request.POST)
    report: SavedReport | None = None
    report_id = request.POST.get("report", "")
    if report_id:
        report = get_object_or_404(
            saved_report_list(viewer=request.user), pk=int(report_id) if report_id.isdigit() else 0
        )
    back = "reporting:saved-report" if report else "reporting:subscriptions"
    if form.is_valid():
        data = form.cleaned_data
        try:
            subscription = subscription_create(
                actor=request.user,
                report=report,
                dashboard=request.POST.get("dashboard", ""),
                frequency=data["frequency"],
                weekday=data["weekday"] if data["weekday"] != "" else None,
                day_of_month=data["day_of_month"] if data["day_of_month"] != "" else None,
                hour=data["hour"],
            )
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            for texts in error.fields.values() or [[error.message]]:
                messages.error(request, " ".join(texts))
        else:
            messages.success(
                request,
                f"You are subscribed to {subscription.subject_name}: "
                f"{subscription.schedule_phrase}. The first mail comes "
                f"{when_text(subscription.next_due_at, request.user)}.",
            )
            return redirect("reporting:subscriptions")
    else:
        for texts in form.errors.values():
            messages.error(request, " ".join(texts))
    return redirect(back, pk=report.pk) if report else redirect(back)


@agent_required
@require_POST
def subscription_change(request, pk, action):
    subscription = get_object_or_404(subscription_list(viewer=request.user), pk=pk)
    try:
        subscription_transition(actor=request.user, subscription=subscription, action=action)
    except TransitionRefused as error:
        messages.error(request, error.message)
    except DomainError as error:
        raise PermissionDenied(error.message) from error
    else:
        if action == "stop":
            messages.success(request, f"{subscription.subject_name} is no longer mailed to you.")
        else:
            messages.success(request, f"{subscription.subject_name} is mailed to you again.")
    return redirect("reporting:subscriptions")


@csrf_exempt  # the signed token is the authority; mail clients POST it (RFC 8058 one-click)
def subscription_stop(request, token):
    """GET shows what the link stops and a button (mail scanners follow links, they do not
    press buttons); POST stops it. A bad link is a 400, a used one says it is stopped."""
    try:
        subscription = subscription_from_token(token)
    except DomainError as error:
        return render(
            request,
            "reporting/subscriptions/stop.html",
            {"error": error.message},
            status=400,
        )
    if request.method != "POST":
        return render(
            request,
            "reporting/subscriptions/stop.html",
            {
                "subscription": subscription,
                "used": subscription.state != "active"
                or subscription.link_generation != subscription.generation,
            },
        )
    try:
        subscription_stop_by_link(token=token)
    except TransitionRefused as error:
        return render(
            request,
            "reporting/subscriptions/stop.html",
            {"subscription": subscription, "used": True, "error": error.message},
            status=409,
        )
    return render(
        request, "reporting/subscriptions/stop.html", {"subscription": subscription, "done": True}
    )
