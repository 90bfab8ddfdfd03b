"""Working out a ticket's fact row from the record, its typed history and its SLA clocks.

Reads only; ``services.record_fact_refresh`` writes the row. Each figure is computed from a
handful of rows of one record, at the moment it changes, so no metric ever walks histories.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from opsdesk.core.models import HistoryChange, TicketHistory
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


def record_calendar(record) -> BusinessCalendar | None:
    """The calendar the record's business time runs on: its latest resolution clock's, else
    its latest response clock's, else the first calendar marked as the default."""
    content_type = ContentType.objects.get_for_model(type(record))
    timer = (
        SlaTimer.objects.filter(content_type=content_type, object_id=str(record.pk))
        .exclude(kind=TimerKind.OLA)
        .order_by("-cycle", "-kind")  # "resolution" sorts after "response"
        .select_related("calendar")
        .first()
    )
    return timer.calendar if timer is not None else None


def spec_for(calendar: BusinessCalendar | None, around: datetime) -> CalendarSpec:
    if calendar is None:
        return twenty_four_seven(str(organisation_zone()))
    return calendar_spec(calendar, around=around)


def pause_windows(rows: list[TicketHistory], until: datetime) -> list[tuple[datetime, datetime]]:
    """The spans the SLA was paused (resolution clock), from the paused/resumed rows."""
    windows, started = [], None
    for row in rows:
        if row.change == HistoryChange.SLA_PAUSED and started is None:
            started = row.at
        elif row.change == HistoryChange.SLA_RESUMED and started is not None:
            windows.append((started, row.at))
            started = None
    if started is not None:
        windows.append((started, until))
    return windows


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


def first_contact_resolved(
    record, *, rows, opened, first_resolved, spec, event_made
) -> bool | None:
    """Resolved at the first interaction: no reassignment, escalation, hold or reopen before
    it; on a live channel, before the caller was waited on; on mail and the portal, within
    one business hour of the first message. ``None``: not an eligible contact."""
    if event_made or first_resolved is None:
        return None
    before = [row for row in rows if row.at <= first_resolved]
    reassigned = (
        len({row.group_id for row in before if row.change == HistoryChange.ASSIGNMENT_GROUP}) > 1
    )
    held = any(row.change == HistoryChange.SLA_PAUSED for row in before)
    escalated = (getattr(record, "escalation_level", 0) or 0) > 0
    if reassigned or held or escalated:
        return False
    channel = str(getattr(record, "channel", "") or "")
    if channel in LIVE_CHANNELS:
        return True
    return business_time_between(spec, opened, first_resolved) <= ONE_HOUR


def fact_values(record, *, known_error_resolved: bool = False) -> dict:
    """Every column of the record's ``RecordFact`` but the key."""
    tt = ticket_type_of(record)
    rows = list(
        TicketHistory.objects.filter(record_type=tt.key, record_id=record.pk).order_by("at", "id")
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

    acknowledged = record.acknowledged_at
    if acknowledged is None and not event_made and record.first_assigned_at is not None:
        acknowledged = record.first_assigned_at  # desk tickets: first assignment to a person
    response = record.first_response_at

    calendar = record_calendar(record)
    spec = spec_for(calendar, opened)
    pauses = pause_windows(rows, until=last_end or now)
    paused = sum(((hi - lo) for lo, hi in pauses if hi > lo), timedelta(0))
    cancelled = record.state == "cancelled"

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
        "ack_seconds": _seconds(acknowledged - opened) if acknowledged else None,
        "ack_business_seconds": _business(spec, opened, acknowledged, ()),
        "response_seconds": _seconds(response - opened) if response else None,
        "response_business_seconds": _business(spec, opened, response, ()),
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
        ),
        "resolved_by_known_error": known_error_resolved,
        "refreshed_at": now,
    }
