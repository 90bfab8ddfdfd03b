"""SLA pages: agents read calendars (with a "when is it due?" check) and policies; administrators
add and change them."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_duration

from opsdesk.core.roles import is_admin, is_agent
from opsdesk.core.views.generic import admin_required, edit_call, form_page, saved_on_post
from opsdesk.sla import clock, policies, selectors
from opsdesk.sla.business_time import format_clock, parse_clock
from opsdesk.sla.forms import CalendarForm, PolicyForm
from opsdesk.sla.models.calendars import WEEKDAYS

DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        strict=True,
    )
)


def _agent_only(request):
    if not is_agent(request.user):
        raise PermissionDenied


@login_required
def calendar_list(request):
    _agent_only(request)
    page = Paginator(selectors.calendar_list(viewer=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "sla/calendar_list.html",
        {"page_obj": page, "calendars": page, "can_write": is_admin(request.user)},
    )


def _weekly_rows(calendar):
    rows = []
    for key in WEEKDAYS:
        intervals = [
            f"{format_clock(parse_clock(s))}–{format_clock(parse_clock(e))}"
            for s, e in calendar.working_hours.get(key, [])
        ]
        rows.append({"day": DAY_NAMES[key], "intervals": intervals})
    return rows


def _check_due(request, calendar) -> dict:
    """The optional "when is it due?" form on the calendar page."""
    raw_start, raw_duration = request.GET.get("start", ""), request.GET.get("duration", "")
    if not raw_start and not raw_duration:
        return {}
    start = parse_datetime(raw_start) if raw_start else None
    duration = parse_duration(raw_duration) if raw_duration else None
    spec = clock.calendar_spec(calendar, around=timezone.now())
    if start is not None and timezone.is_naive(start):
        start = start.replace(tzinfo=spec.zone)
    errors = []
    if start is None:
        errors.append("Give the start like 2025-03-28T17:00.")
    if duration is None or duration < timedelta(0):
        errors.append("Give the duration like 4:00:00 or 3 00:00:00 (days hours).")
    if errors:
        return {"check_errors": errors}
    due = clock.compute_due(calendar, start, duration)
    return {"check_due": due.astimezone(spec.zone), "check_start": start.astimezone(spec.zone)}


@login_required
def calendar_detail(request, pk):
    _agent_only(request)
    calendar = get_object_or_404(selectors.calendar_list(viewer=request.user), pk=pk)
    this_year = date.today().year
    upcoming = [
        (day, name)
        for day, name in clock.holiday_names(calendar, [this_year, this_year + 1]).items()
        if day >= date.today()
    ][:12]
    context = {
        "calendar": calendar,
        "weekly": _weekly_rows(calendar),
        "upcoming_holidays": upcoming,
        "policies": selectors.policy_list(viewer=request.user).filter(
            Q(response_calendar=calendar) | Q(resolution_calendar=calendar)
        ),
        "can_write": is_admin(request.user),
        **_check_due(request, calendar),
    }
    return render(request, "sla/calendar_detail.html", context)


@login_required
def policy_list(request):
    _agent_only(request)
    qs = selectors.policy_list(viewer=request.user)
    record_type = request.GET.get("record_type", "")
    if record_type:
        qs = qs.filter(record_type=record_type)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sla/policy_list.html",
        {
            "page_obj": page,
            "policies": page,
            "record_type": record_type,
            "can_write": is_admin(request.user),
        },
    )


@login_required
def policy_detail(request, pk):
    _agent_only(request)
    policy = get_object_or_404(selectors.policy_list(viewer=request.user), pk=pk)
    return render(
        request, "sla/policy_detail.html", {"policy": policy, "can_write": is_admin(request.user)}
    )


# --- administrators change calendars and policies (as in the API) ---------------------------
# The writes go through sla.policies, whose saves the configuration stamp follows, so the next
# record matched already sees the change.
def _form_page(request, form, *, title: str, cancel_url: str):
    return form_page(request, form, title=title, cancel_url=cancel_url, stylesheet="sla/sla.css")


@admin_required
def calendar_create(request):
    form = CalendarForm(request.POST or None)
    calendar = saved_on_post(
        request, form, lambda: policies.calendar_create(actor=request.user, **form.values())
    )
    if calendar is not None:
        messages.success(request, f"Calendar {calendar} is added.")
        return redirect("sla:calendar-detail", pk=calendar.pk)
    return _form_page(
        request, form, title="Add a business calendar", cancel_url=reverse("sla:calendar-list")
    )


@admin_required
def calendar_edit(request, pk):
    calendar = get_object_or_404(selectors.calendar_list(viewer=request.user), pk=pk)
    form = CalendarForm(request.POST or None, instance=calendar)
    saved = saved_on_post(
        request, form, edit_call(request, form, policies.calendar_update, calendar=calendar)
    )
    if saved is not None:
        messages.success(request, f"Calendar {saved} is saved.")
        return redirect("sla:calendar-detail", pk=saved.pk)
    return _form_page(
        request,
        form,
        title=f"Edit {calendar}",
        cancel_url=reverse("sla:calendar-detail", kwargs={"pk": calendar.pk}),
    )


@admin_required
def policy_create(request):
    form = PolicyForm(request.POST or None)
    policy = saved_on_post(
        request, form, lambda: policies.policy_create(actor=request.user, **form.values())
    )
    if policy is not None:
        messages.success(request, f"Policy {policy} is added.")
        return redirect("sla:policy-detail", pk=policy.pk)
    return _form_page(
        request, form, title="Add an SLA policy", cancel_url=reverse("sla:policy-list")
    )


@admin_required
def policy_edit(request, pk):
    policy = get_object_or_404(selectors.policy_list(viewer=request.user), pk=pk)
    form = PolicyForm(request.POST or None, instance=policy)
    saved = saved_on_post(
        request, form, edit_call(request, form, policies.policy_update, policy=policy)
    )
    if saved is not None:
        messages.success(request, f"Policy {saved} is saved.")
        return redirect("sla:policy-detail", pk=saved.pk)
    return _form_page(
        request,
        form,
        title=f"Edit {policy}",
        cancel_url=reverse("sla:policy-detail", kwargs={"pk": policy.pk}),
    )
