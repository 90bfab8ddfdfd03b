"""Reads for calendars, policies and timers, filtered by what the asking user may see."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, CharField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast

from opsdesk.core.roles import is_agent
from opsdesk.sla import clock
from opsdesk.sla.business_time import CalendarSpec, business_days_before
from opsdesk.sla.models import (
    BusinessCalendar,
    SlaPolicy,
    SlaTimer,
    TimerEvent,
    TimerKind,
    TimerState,
)

log = logging.getLogger(__name__)


def calendar_list(*, viewer) -> QuerySet[BusinessCalendar]:
    qs = BusinessCalendar.objects.all()
    return qs if is_agent(viewer) else qs.none()


def policy_list(*, viewer) -> QuerySet[SlaPolicy]:
    qs = SlaPolicy.objects.select_related("response_calendar", "resolution_calendar")
    return qs if is_agent(viewer) else qs.none()


def timer_list(*, viewer) -> QuerySet[SlaTimer]:
    qs = SlaTimer.objects.select_related("policy", "calendar", "team", "content_type")
    return qs if is_agent(viewer) else qs.none()


def sla_timers_for(*, record: models.Model) -> QuerySet[SlaTimer]:
    """Every clock of the record, all cycles, oldest first, with its history prefetched."""
    return (
        SlaTimer.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
        )
        .select_related("policy", "calendar", "team")
        .prefetch_related("events")
        .order_by("cycle", "id")
    )


def sla_timer_history(*, timer: SlaTimer) -> QuerySet[TimerEvent]:
    return timer.events.order_by("at", "id")


def sla_remaining(*, timer: SlaTimer, now: datetime) -> timedelta | None:
    """Business time left (negative once overdue); None for a clock without a target."""
    return clock.remaining_at(timer, now)


@dataclass
class ClockView:
    """A timer as a record page shows it."""

    timer: SlaTimer
    elapsed: timedelta
    remaining: timedelta | None
    percent: int | None
    tone: str
    events: list[TimerEvent]

    @property
    def overdue(self) -> bool:
        return self.remaining is not None and self.remaining < timedelta(0)


def sla_clock_panel(*, record: models.Model, now: datetime) -> list[ClockView]:
    """What ``sla/_timers.html`` renders: each clock with its colour and history."""
    return [
        ClockView(
            timer=t,
            elapsed=clock.elapsed_at(t, now),
            remaining=clock.remaining_at(t, now),
            percent=clock.percent_used(t, now),
            tone=clock.tone(t, now),
            events=list(t.events.all()),
        )
        for t in sla_timers_for(record=record)
    ]


def sla_breaching_soon(*, queryset: QuerySet, within: timedelta, now: datetime) -> QuerySet:
    """The records of ``queryset`` with a running clock due within ``within`` of ``now``.

    Each row gains ``sla_next_due``, and the rows come soonest first. Clocks already overdue
    count too: they are the most urgent of all.
    """
    running = SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(queryset.model),
        state=TimerState.RUNNING,
        due_at__isnull=False,
        object_id=OuterRef("sla_pk_text"),
    ).order_by("due_at")
    return (
        queryset.annotate(sla_pk_text=Cast("pk", CharField()))
        .annotate(sla_next_due=Subquery(running.values("due_at")[:1]))
        .filter(sla_next_due__lte=now + within)
        .order_by("sla_next_due")
    )


def latest_clock_calendar(model: type[models.Model], pk_text: str = "pk_text") -> Subquery:
    """For a queryset of ``model`` annotated with its pk as text (``pk_text``): the calendar
    its latest resolution clock counts in.

    A policy with only a response target has no resolution clock; its response calendar then
    stands in, as the calendar the desk chose for that record.
    """
    clocks = SlaTimer.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=OuterRef(pk_text)
    ).order_by(
        "-cycle",
        Case(When(kind=TimerKind.RESPONSE, then=Value(1)), default=Value(0)),
        "-id",
    )
    return Subquery(clocks.values("calendar_id")[:1])


def business_day_cutoffs(
    *, now: datetime, calendar_ids, days: int, default: CalendarSpec
) -> dict[int | None, datetime]:
    """One cutoff per calendar (``None``: records without a clock, counted in ``default``): a
    moment at or before it has had ``days`` business days by ``now``. A calendar that cannot
    say (no working day in a year) has no entry, so its records wait for it to be fixed."""
    cutoffs: dict[int | None, datetime] = {None: business_days_before(now, days, default)}
    for calendar in BusinessCalendar.objects.filter(pk__in=[c for c in calendar_ids if c]):
        try:
            spec = clock.calendar_spec(calendar, around=now)
            cutoffs[calendar.pk] = business_days_before(now, days, spec)
        except ValueError:
            log.warning("Business calendar %s has no working day; not counting days.", calendar)
    return cutoffs
