"""Working out a ticket's fact row from the record, its typed history and its SLA clocks.

Reads only; ``services.record_fact_refresh`` writes the row. Each figure is computed from a
handful of rows of one record, at the moment it changes, so no metric ever walks histories.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from opsdesk.core.models import HistoryChange, TicketHistory, TimelineEntry, TimelineKind
from opsdesk.core.roles import is_agent
from opsdesk.core.tickets.registry import TicketType, ticket_type_of
from opsdesk.reporting.periods import local_day, local_day_or_none, organisation_zone
from opsdesk.sla.business_time import CalendarSpec, business_time_between, twenty_four_seven
from opsdesk.sla.clock import calendar_spec
from opsdesk.sla.models import BusinessCalendar, SlaTimer, TimerKind

# Where a record keeps each dimension, unless its type says otherwise
# (``TicketType.report_dimensions``): attribute paths read with dots.
DEFAULT_DIMENSIONS = {
    "service": "service_id",
    "ci": "ci_id",
    "category": "category",
    "channel": "channel",
}
# Channels where the first interaction is a conversation: resolved before the caller had to
# be called back, the contact was resolved first time.
LIVE_CHANNELS = frozenset({"phone", "walk_in", "chat"})
ONE_HOUR = timedelta(hours=1)
# A live contact resolved later than this after it was logged was not resolved during the
# call: somebody had to call back (wall-clock time; a call does not stop for the evening).
LIVE_CONTACT_WINDOW = timedelta(hours=1)
# Final states where the record ended without being resolved: left out of MTTR and of the
# resolved counts (an item's approver rejecting it is no resolution either).
CANCELLED_STATES = frozenset({"cancelled", "rejected"})


def _read(record, path: str):
    value = record
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def dimensions(record, tt: TicketType) -> dict:
    paths = {**DEFAULT_DIMENSIONS, **getattr(tt, "report_dimensions", {})}
    category = _read(record, paths["category"])
    return {
        "service_id": _read(record, paths["service"]),
        "ci_id": _read(record, paths["ci"]),
        "category": str(category)[:100] if category is not None else "",
        "channel": str(_read(record, paths["channel"]) or "")[:20],
    }


def record_calendars(record) -> tuple[BusinessCalendar | None, BusinessCalendar | None]:
    """The calendars the record's business time runs on: (response, resolution).

    Resolution: the calendar of its latest cycle's resolution clock. Response: the calendar
    of its response clock (a policy may give the two targets different calendars). Each
    falls back to the other; a record without SLA clocks has neither and its business time
    is its calendar time (``spec_for``)."""
    content_type = ContentType.objects.get_for_model(type(record))
    timers = list(
        SlaTimer.objects.filter(
            content_type=content_type,
            object_id=str(record.pk),
            kind__in=[TimerKind.RESPONSE, TimerKind.RESOLUTION],
        )
        .order_by("-cycle", "-id")
        .select_related("calendar")
    )
    resolution = next((t.calendar for t in timers if t.kind == TimerKind.RESOLUTION), None)
    response = next((t.calendar for t in reversed(timers) if t.kind == TimerKind.RESPONSE), None)
    return response or resolution, resolution or response


def record_calendar(record) -> BusinessCalendar | None:
    """The calendar a record's resolution times are counted in (its fact's ``calendar``)."""
    return record_calendars(record)[1]


def spec_for(calendar: BusinessCalendar | None, around: datetime) -> CalendarSpec:
    if calendar is None:
        return twenty_four_seven(str(organisation_zone()))
    return calendar_spec(calendar, around=around)


def pause_windows(rows: list[TicketHistory], until: datetime) -> list[tuple[datetime, datetime]]:
    """The spans the resolution clock was paused, from its paused/resumed rows.

    The SLA engine writes a row per clock (response, resolution, OLA) naming the clock in
    ``to_value``; only the resolution clock's pauses come off the time to resolve (a
    response clock may pause for reasons the resolution clock does not)."""
    windows, started = [], None
    for row in rows:
        if row.to_value not in ("", TimerKind.RESOLUTION):
            continue
        if row.change == HistoryChange.SLA_PAUSED and started is None:
            started = row.at
        elif row.change == HistoryChange.SLA_RESUMED and started is not None:
            windows.append((started, row.at))
            started = None
    if started is not None:
        windows.append((started, until))
    return windows


def first_public_reply(record, rows: list[TicketHistory]) -> datetime | None:
    """When an agent first answered the caller in public.

    ``record.first_response_at`` is the SLA's response moment, which an acknowledgement
    also sets; the metric wants the first public reply only. The platform writes a "first
    public reply" row when a reply is the first response; after an acknowledgement it writes
    none, so the first public comment by an agent on the timeline counts then. Work notes
    are not public, and automatic replies (posted by the system, no author) and the
    caller's own comments (an agent reporting for themselves) are no replies."""
    replied = [
        row.at
        for row in rows
        if row.change == HistoryChange.FIRST_PUBLIC_REPLY and row.actor_id != record.caller_id
    ]
    if replied or record.first_response_at is None:
        # Every public agent reply sets ``first_response_at`` if it is empty: without it
        # nobody answered, and with a reply row that row is the first answer.
        return min(replied, default=None)
    content_type = ContentType.objects.get_for_model(type(record))
    comments = (
        TimelineEntry.objects.filter(
            content_type=content_type,
            object_id=str(record.pk),
            kind=TimelineKind.COMMENT,
            author__isnull=False,
        )
        .exclude(author_id=record.caller_id)
        .select_related("author")
        .order_by("created_at", "id")
    )
    return next((entry.created_at for entry in comments if is_agent(entry.author)), None)


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _business(spec, start, end, pauses) -> float | None:
    """Business time from ``start`` to ``end`` minus the business time paused in between."""
    if end is None:
        return None
    total = business_time_between(spec, start, end)
    for paused_from, paused_to in pauses:
        lo, hi = max(paused_from, start), min(paused_to, end)
        if hi > lo:
            total -= business_time_between(spec, lo, hi)
    return max(total, timedelta(0)).total_seconds()


def reopen_gap(rows: list[TicketHistory]) -> float | None:
    """Seconds from a resolution to the reopen that undid it, the shortest such gap over
    the record's cycles; ``None`` when it was never reopened."""
    gaps, resolved = [], None
    for row in rows:
        if row.change == HistoryChange.RESOLVED:
            resolved = row.at
        elif row.change == HistoryChange.REOPENED and resolved is not None:
            gaps.append((row.at - resolved).total_seconds())
            resolved = None
    return min(gaps, default=None)


def first_contact_resolved(
    record, *, rows, opened, first_resolved, spec, event_made, waiting=frozenset()
) -> bool | None:
    """Resolved at the first interaction: no reassignment to another group, escalation,
    wait for the caller (a waiting state or an SLA pause) or callback before it. On a live
    channel (phone, walk-in, chat), resolved within ``LIVE_CONTACT_WINDOW`` of being logged;
    on mail, the portal and the API, within one business hour of the first message.
    ``None``: not an eligible contact (made by an event, or never resolved)."""
    if event_made or first_resolved is None:
        return None
    before = [row for row in rows if row.at <= first_resolved]
    # Routed from one group to another; the first routing of a record logged without a
    # group (mail into the desk's queue) is no reassignment.
    reassigned = any(
        row.change == HistoryChange.ASSIGNMENT_GROUP and row.from_value not in ("", row.to_value)
        for row in before
    )
    held = any(
        row.change == HistoryChange.SLA_PAUSED
        or (row.change == HistoryChange.STATE and row.to_value in waiting)
        for row in before
    )
    escalated = (getattr(record, "escalation_level", 0) or 0) > 0
    if reassigned or held or escalated:
        return False
    channel = str(getattr(record, "channel", "") or "")
    if channel in LIVE_CHANNELS:
        return first_resolved - opened <= LIVE_CONTACT_WINDOW
    return business_time_between(spec, opened, first_resolved) <= ONE_HOUR


Calendars = tuple[BusinessCalendar | None, BusinessCalendar | None]


def fact_values(
    record,
    *,
    known_error_resolved: bool = False,
    rows: list[TicketHistory] | None = None,
    calendars: Calendars | None = None,
) -> dict:
    """Every column of the record's ``RecordFact`` but the key. The bulk path passes the
    record's history ``rows`` (in time order) and its ``calendars`` (``record_calendars``),
    read for many records at once."""
    tt = ticket_type_of(record)
    if rows is None:
        rows = list(
            TicketHistory.objects.filter(record_type=tt.key, record_id=record.pk).order_by(
                "at", "id"
            )
        )
    opened = record.opened_at
    now = timezone.now()
    dims = dimensions(record, tt)
    event_made = dims["channel"] == "event" or getattr(record, "opened_by_event", False) is True

    first_resolved = getattr(record, "first_resolved_at", None) or next(
        (row.at for row in rows if row.change == HistoryChange.RESOLVED), None
    )
    resolutions = [row.at for row in rows if row.change == HistoryChange.RESOLVED]
    last_resolved = record.resolved_at or (resolutions[-1] if resolutions else None)
    closed = record.closed_at
    # Closed without ever being resolved: the close is the resolution.
    first_end = first_resolved or closed
    last_end = last_resolved or closed if record.state not in tt.open_states else None
    if last_end is not None and first_end is not None and last_end < first_end:
        last_end = first_end

    # The first of acknowledgement and, for desk tickets (not made by an event), the first
    # assignment to a person (``first_assigned_at`` is set only when a person gets it).
    candidates = [record.acknowledged_at]
    if not event_made:
        candidates.append(record.first_assigned_at)
    acknowledged = min((moment for moment in candidates if moment is not None), default=None)
    response = first_public_reply(record, rows)

    response_calendar, calendar = calendars if calendars is not None else record_calendars(record)
    spec = spec_for(calendar, opened)
    response_spec = spec if response_calendar == calendar else spec_for(response_calendar, opened)
    pauses = pause_windows(rows, until=last_end or now)
    paused = sum(((hi - lo) for lo, hi in pauses if hi > lo), timedelta(0))
    cancelled = record.state in CANCELLED_STATES

    return {
        "number": record.number,
        "short_description": (record.short_description or "")[:200],
        "team_id": record.assignment_group_id,
        "assignee_id": record.assignee_id,
        "priority": record.priority,
        **dims,
        "event_made": event_made,
        "confidential": bool(getattr(record, "confidential", False)),
        "calendar_id": calendar.pk if calendar is not None else None,
        "state": record.state,
        "is_open": record.state in tt.open_states,
        "is_cancelled": cancelled,
        "opened_at": opened,
        "opened_on": local_day(opened),
        "acknowledged_at": acknowledged,
        "first_response_at": response,
        "first_resolved_at": first_resolved,
        "first_resolved_on": local_day_or_none(first_end),
        "resolved_at": last_resolved,
        "resolved_on": local_day_or_none(last_end),
        "closed_at": closed,
        "closed_on": local_day_or_none(closed),
        "reopen_count": sum(1 for row in rows if row.change == HistoryChange.REOPENED),
        "reopen_gap_seconds": reopen_gap(rows),
        "ack_seconds": _seconds(acknowledged - opened) if acknowledged else None,
        "ack_business_seconds": _business(response_spec, opened, acknowledged, ()),
        "response_seconds": _seconds(response - opened) if response else None,
        "response_business_seconds": _business(response_spec, opened, response, ()),
        "resolve_seconds": _seconds(first_end - opened) if first_end else None,
        "resolve_business_seconds": _business(spec, opened, first_end, pauses),
        "total_resolve_seconds": _seconds(last_end - opened) if last_end else None,
        "total_resolve_business_seconds": _business(spec, opened, last_end, pauses),
        "paused_seconds": paused.total_seconds(),
        "fcr": None
        if cancelled
        else first_contact_resolved(
            record,
            rows=rows,
            opened=opened,
            first_resolved=first_resolved,
            spec=spec,
            event_made=event_made,
            waiting=tt.workflow.waiting,
        ),
        "resolved_by_known_error": known_error_resolved,
        "refreshed_at": now,
    }
