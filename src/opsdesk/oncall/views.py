"""On-call pages: who is on call now per team, a schedule's next four weeks, overrides, feeds."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from opsdesk.core.errors import DomainError
from opsdesk.core.models import Team, User
from opsdesk.core.roles import is_agent
from opsdesk.core.views.generic import form_page
from opsdesk.oncall import ical, selectors, services
from opsdesk.oncall.forms import OverrideForm
from opsdesk.oncall.grid import build_rows
from opsdesk.oncall.models import Schedule
from opsdesk.oncall.rotation import local_to_utc

CALENDAR_DAYS = 28
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=84)


def _agent_only(request):
    if not is_agent(request.user):
        raise PermissionDenied


@login_required
def index(request):
    """Every team's on-call now, with its schedules."""
    _agent_only(request)
    now = timezone.now()
    schedules = selectors.schedule_list(viewer=request.user)
    by_team: dict[int, list] = {}
    for schedule in schedules:
        by_team.setdefault(schedule.team_id, []).append(schedule)
    teams = [
        {"team": team, "on_call": selectors.oncall_now(team=team, at=now), "schedules": found}
        for team in Team.objects.select_related("lead").order_by("name")
        if (found := by_team.get(team.pk))
    ]
    return render(request, "oncall/index.html", {"teams": teams, "now": now})


@login_required
def schedule_detail(request, pk: int):
    _agent_only(request)
    schedule = get_object_or_404(selectors.schedule_list(viewer=request.user), pk=pk)
    zone = ZoneInfo(schedule.time_zone)
    first_day = timezone.now().astimezone(zone).date()
    start = local_to_utc(datetime.combine(first_day, time(0)), zone)
    end = start + timedelta(days=CALENDAR_DAYS + 1)
    spans, gaps = selectors.schedule_final(schedule=schedule, start=start, end=end)
    rows, legend = build_rows(
        spans, gaps, first_day=first_day, days=CALENDAR_DAYS, zone_name=schedule.time_zone
    )
    context = {
        "schedule": schedule,
        "rows": rows,
        "legend": legend,
        "hours": range(24),
        "on_call": selectors.oncall_now(team=schedule.team),
        "may_manage": selectors.may_manage_team(request.user, schedule.team),
        "overrides": schedule.overrides.filter(end__gt=timezone.now()).select_related("user"),
        "policies": schedule.team.escalation_policies.prefetch_related("steps__user"),
    }
    return render(request, "oncall/schedule_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def override_new(request, pk: int):
    _agent_only(request)
    schedule = get_object_or_404(selectors.schedule_list(viewer=request.user), pk=pk)
    if not selectors.may_manage_team(request.user, schedule.team):
        raise PermissionDenied
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.override_create(actor=request.user, schedule=schedule, **form.cleaned_data)
        except DomainError as error:
            for name, problems in error.fields.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            messages.success(request, "Override saved.")
            return redirect("oncall:schedule-detail", pk=schedule.pk)
    return form_page(
        request,
        form,
        title=f"Override {schedule.name}",
        page_title="New override",
        cancel_url=reverse("oncall:schedule-detail", args=[schedule.pk]),
        submit_label="Save override",
        template="oncall/override_form.html",
        schedule=schedule,
    )


@login_required
@require_http_methods(["GET", "POST"])
def feed_links(request):
    """The signed-in person's calendar links; a new secret is shown once, when made."""
    _agent_only(request)
    secret = None
    if request.method == "POST":
        secret = services.feed_token_reset(user=request.user)
    teams = request.user.teams.order_by("name")
    links = []
    if secret:
        base = request.build_absolute_uri("/")[:-1]
        links.append(("My on-call shifts", reverse("oncall:ical-user", args=[request.user.pk])))
        links += [(team.name, reverse("oncall:ical-team", args=[team.pk])) for team in teams]
        links = [(label, f"{base}{path}?token={secret}") for label, path in links]
    has_token = hasattr(request.user, "oncall_feed_token")
    return render(
        request, "oncall/feed_links.html", {"links": links, "has_token": has_token or secret}
    )


# --- iCalendar feeds ------------------------------------------------------------------------
def _feed_reader(request):
    """The person a feed is served to: by ?token= for calendar apps, else the session."""
    if "token" in request.GET:
        user = services.feed_token_user(request.GET["token"])
        if user is None:
            return None
    else:
        user = request.user if request.user.is_authenticated else None
    return user if user is not None and is_agent(user) else None


def _ics_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def _refused() -> HttpResponse:
    return HttpResponse(
        "This calendar link is not valid. Make a new one on the on-call feed page.\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


def _feed_window(now):
    """The feed's span, from a midnight UTC, so event UIDs stay put between polls."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - FEED_PAST
    return start, start + FEED_PAST + FEED_AHEAD


def _events(schedules, start, end, *, only_user=None):
    events = []
    for schedule in schedules:
        spans, gaps = selectors.schedule_final(schedule=schedule, start=start, end=end)
        for span in spans:
            if only_user is not None and span.user.pk != only_user.pk:
                continue
            events.append(
                ical.Event(
                    uid=f"oncall-{schedule.pk}-{span.user.pk}-{ical.utc_stamp(span.start)}@opsdesk",
                    start=span.start,
                    end=span.end,
                    summary=f"On call: {span.user} ({schedule})",
                    description=f"{span.user} is on call for {schedule.team.name}.",
                )
            )
        if only_user is None:
            for gap in gaps:
                events.append(
                    ical.Event(
                        uid=f"oncall-gap-{schedule.pk}-{ical.utc_stamp(gap.start)}@opsdesk",
                        start=gap.start,
                        end=gap.end,
                        summary=f"Nobody on call ({schedule})",
                        description="A gap in on-call coverage.",
                    )
                )
    return sorted(events, key=lambda e: e.start)


def ical_team(request, team_id: int):
    reader = _feed_reader(request)
    if reader is None:
        return _refused()
    team = get_object_or_404(Team, pk=team_id)
    now = timezone.now()
    schedules = Schedule.objects.filter(team=team).select_related("team")
    events = _events(schedules, *_feed_window(now))
    text = ical.calendar(name=f"On call: {team.name}", events=events, now=now)
    return _ics_response(text, f"oncall-team-{team.pk}.ics")


def ical_user(request, user_id: int):
    reader = _feed_reader(request)
    if reader is None:
        return _refused()
    person = get_object_or_404(User, pk=user_id)
    now = timezone.now()
    schedules = (
        Schedule.objects.filter(Q(layers__places__user=person) | Q(overrides__user=person))
        .select_related("team")
        .distinct()
    )
    events = _events(schedules, *_feed_window(now), only_user=person)
    text = ical.calendar(name=f"On call: {person}", events=events, now=now)
    return _ics_response(text, f"oncall-user-{person.pk}.ics")
