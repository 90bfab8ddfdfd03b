"""Service availability: (agreed service time − outage time) ÷ agreed service time, per service.

Agreed service time is the service's hours (``ServiceHours``, else 24x7 in the organisation's
zone) inside the period, less planned maintenance. Outage time is the part of it covered by
the outage windows of major incidents on the service, overlaps counted once.

Major incidents are few (a handful a month, against thousands of ordinary incidents), so the
intervals are worked out in Python over the major incidents that touch the period; ordinary
incidents are never loaded. Maintenance windows are fewer still.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from opsdesk.cmdb.models import SERVICE_CLASSES, CIStatus, ConfigurationItem
from opsdesk.cmdb.selectors import ci_impacted_items
from opsdesk.events.models import MaintenanceWindow
from opsdesk.incidents.models import OPEN_STATES, Incident, State
from opsdesk.reporting.metrics import register
from opsdesk.reporting.metrics.base import Filters, Metric, Result
from opsdesk.reporting.models import RecordFact, ServiceHours
from opsdesk.reporting.periods import day_start, organisation_zone
from opsdesk.sla.business_time import MINUTES_PER_DAY, CalendarSpec, twenty_four_seven
from opsdesk.sla.clock import calendar_spec

Span = tuple[datetime, datetime]  # [start, end), aware
WEEK = timedelta(days=7)  # a weekly window repeats every 7 × 24 h, as suppression reads it


# --- interval arithmetic over sorted, merged lists of spans ------------------------------------
def merged(spans: Iterable[Span]) -> list[Span]:
    """The spans sorted, overlapping and touching ones joined, empty ones dropped."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def intersected(a: list[Span], b: list[Span]) -> list[Span]:
    """The time in both (each list merged)."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtracted(a: list[Span], b: list[Span]) -> list[Span]:
    """The time in ``a`` and not in ``b`` (each list merged)."""
    out: list[Span] = []
    for start, end in a:
        cursor = start
        for cut_start, cut_end in b:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                out.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def seconds(spans: Iterable[Span]) -> float:
    return sum((end - start).total_seconds() for start, end in spans)


# --- the pieces of one service ----------------------------------------------------------------
def _local_instant(spec: CalendarSpec, day: date, minute: int) -> datetime:
    # As the SLA clock reads a calendar: 24:00 is the next midnight, an ambiguous wall time
    # is its first occurrence (fold=0).
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=spec.zone)
    return moment.astimezone(UTC)


def service_time(spec: CalendarSpec, start: datetime, end: datetime) -> list[Span]:
    """The service's hours inside [start, end), as real time: a 24x7 day with a clock change
    is 23 or 25 hours long, like the SLA clock counts it."""
    if end <= start:
        return []
    if spec.always_open:
        return [(start, end)]
    spans: list[Span] = []
    day = start.astimezone(spec.zone).date() - timedelta(days=1)
    last = end.astimezone(spec.zone).date()
    while day <= last:
        if day not in spec.holidays:
            for first, final in spec.weekly[day.weekday()]:
                begin = max(_local_instant(spec, day, first), start)
                finish = min(_local_instant(spec, day, final), end)
                if finish > begin:
                    spans.append((begin, finish))
        day += timedelta(days=1)
    return merged(spans)


def window_occurrences(window: MaintenanceWindow, start: datetime, end: datetime) -> list[Span]:
    """The times ``window`` runs inside [start, end): once, or at every weekly repeat."""
    length = window.ends_at - window.starts_at
    if not window.weekly:
        return [(window.starts_at, window.ends_at)]
    # The first repeat still running after ``start``: the k with starts + k weeks + length
    # > start.
    first = max(0, (start - window.starts_at - length) // WEEK + 1)
    out = []
    occurrence = window.starts_at + first * WEEK
    while occurrence < end:
        out.append((occurrence, occurrence + length))
        occurrence += WEEK
    return out


@dataclass
class _Service:
    spec: CalendarSpec
    planned: list[Span] = field(default_factory=list)  # merged
    outages: list[tuple[Span, int]] = field(default_factory=list)  # (window, incident id)


def _services(filters: Filters) -> dict[int, str]:
    """The services measured: business and technical services not retired, by id -> name."""
    qs = ConfigurationItem.objects.filter(ci_class__key__in=SERVICE_CLASSES).exclude(
        status=CIStatus.RETIRED
    )
    if filters.service is not None:
        qs = qs.filter(pk=filters.service)
    if filters.team is not None:
        qs = qs.filter(supporting_team_id=filters.team)
    return dict(qs.order_by("name", "pk").values_list("pk", "name"))


def _instant(day: date) -> datetime:
    # In UTC: Python subtracts two datetimes of one zone by their wall clocks, so the day
    # the clocks change would come out 24 hours long.
    return day_start(day).astimezone(UTC)


def _window(filters: Filters, now: datetime) -> Span:
    """The period as instants, up to now: time not yet lived is not agreed service time."""
    start = _instant(filters.start)
    return start, max(start, min(_instant(filters.end + timedelta(days=1)), now))


def _majors(service_ids: list[int], start: datetime, end: datetime, now: datetime):
    """(incident id, outage span, service ids) of the major incidents out during [start, end).

    The outage is the window recorded when the major incident ended; until then it runs from
    the declaration (or the opening) to the resolution, or to now while the incident is open.
    """
    touching = Q(outage_end__gt=start) | Q(outage_end__isnull=True) & (
        Q(state__in=OPEN_STATES)
        | Q(resolved_at__gt=start)
        | Q(closed_at__gt=start)
        | Q(resolved_at__isnull=True, closed_at__isnull=True)
    )
    on_services = Q(service_id__in=service_ids) | Q(affected_services__in=service_ids)
    ids = (
        Incident.objects.filter(is_major=True)
        .exclude(state=State.CANCELLED)
        .annotate(began=Coalesce("outage_start", "major_declared_at", "opened_at"))
        .filter(touching, on_services, began__lt=end)
        .values_list("pk", flat=True)
        .distinct()
    )
    rows = list(
        Incident.objects.filter(pk__in=list(ids)).values_list(
            "pk",
            "service_id",
            "state",
            "outage_start",
            "outage_end",
            "major_declared_at",
            "opened_at",
            "resolved_at",
            "closed_at",
        )
    )
    affected: dict[int, set[int]] = {}
    through = Incident.affected_services.through.objects.filter(
        incident_id__in=[r[0] for r in rows]
    )
    for incident_id, service_id in through.values_list("incident_id", "configurationitem_id"):
        affected.setdefault(incident_id, set()).add(service_id)
    for pk, service_id, state, o_start, o_end, declared, opened, resolved, closed in rows:
        began = o_start or declared or opened
        if o_end is not None:
            ended = o_end
        elif state in OPEN_STATES:
            ended = now
        else:
            ended = resolved or closed or now
        services = affected.get(pk, set()) | ({service_id} if service_id else set())
        yield pk, (began, ended), services


def _planned(service_ids: set[int], start: datetime, end: datetime) -> dict[int, list[Span]]:
    """Planned maintenance per service: windows on the service itself, or on a CI it depends
    on (directly or not, as impact analysis walks the CMDB)."""
    windows = MaintenanceWindow.objects.filter(starts_at__lt=end).filter(
        Q(weekly=True) | Q(ends_at__gt=start)
    )
    out: dict[int, list[Span]] = {}
    covered: dict[int, set[int]] = {}  # CI id -> the measured services it carries
    for window in windows.prefetch_related("cis"):
        services: set[int] = set()
        for ci in window.cis.all():
            if ci.pk not in covered:
                reached = {item.ci.id for item in ci_impacted_items(ci=ci.pk).items}
                covered[ci.pk] = (reached | {ci.pk}) & service_ids
            services |= covered[ci.pk]
        spans = window_occurrences(window, start, end)
        for service_id in services:
            out.setdefault(service_id, []).extend(spans)
    return {service_id: merged(spans) for service_id, spans in out.items()}


def _specs(service_ids: list[int], around: datetime) -> dict[int, CalendarSpec]:
    default = twenty_four_seven(str(organisation_zone()))
    specs = {service_id: default for service_id in service_ids}
    for hours in ServiceHours.objects.filter(service_id__in=service_ids).select_related("calendar"):
        specs[hours.service_id] = calendar_spec(hours.calendar, around=around)
    return specs


def _load(filters: Filters, now: datetime) -> tuple[dict[int, str], dict[int, _Service], Span]:
    names = _services(filters)
    start, end = _window(filters, now)
    ids = list(names)
    specs = _specs(ids, start)
    data = {service_id: _Service(spec=specs[service_id]) for service_id in ids}
    if ids and end > start:
        for service_id, spans in _planned(set(ids), start, end).items():
            data[service_id].planned = spans
        for incident_id, span, services in _majors(ids, start, end, now):
            for service_id in services & data.keys():
                data[service_id].outages.append((span, incident_id))
    return names, data, (start, end)


def _figures(service: _Service, start: datetime, end: datetime) -> dict:
    """Agreed and outage seconds of one service inside [start, end), and the incidents whose
    outage fell in its agreed time."""
    agreed = subtracted(service_time(service.spec, start, end), service.planned)
    out = intersected(merged(span for span, _ in service.outages), agreed)
    incidents = {
        incident_id
        for span, incident_id in service.outages
        if seconds(intersected([span], agreed)) > 0
    }
    return {"agreed_seconds": seconds(agreed), "outage_seconds": seconds(out), "ids": incidents}


def _finish(row: dict) -> dict:
    agreed = row["agreed_seconds"]
    row["value"] = (agreed - row["outage_seconds"]) / agreed if agreed else None
    row["incidents"] = len(row.pop("ids"))
    return row


def _sum(figures: list[dict]) -> dict:
    return {
        "agreed_seconds": sum(f["agreed_seconds"] for f in figures),
        "outage_seconds": sum(f["outage_seconds"] for f in figures),
        "ids": set().union(*(f["ids"] for f in figures)),
    }


def _buckets(filters: Filters, start: datetime, end: datetime) -> list[tuple[str, Span]]:
    """The days, weeks (from Monday) or months of the period, as (key, instants)."""
    buckets = []
    day = filters.start
    while day <= filters.end:
        if filters.group_by == "day":
            following = day + timedelta(days=1)
        elif filters.group_by == "week":
            following = day - timedelta(days=day.weekday()) + WEEK
        else:
            following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        key = day - timedelta(days=day.weekday()) if filters.group_by == "week" else day
        if filters.group_by == "month":
            key = day.replace(day=1)
        b_start, b_end = max(_instant(day), start), min(_instant(following), end)
        if b_end > b_start:
            buckets.append((key.isoformat(), (b_start, b_end)))
        day = following
    return buckets


def _compute(filters: Filters, now: datetime) -> tuple[list[dict], dict, set[int]]:
    names, data, (start, end) = _load(filters, now)
    per_service = {sid: _figures(service, start, end) for sid, service in data.items()}
    total = _sum(list(per_service.values()))
    ids = set(total["ids"])
    rows: list[dict] = []
    if filters.group_by in ("", "service"):
        for service_id, figures in per_service.items():
            rows.append({"group": service_id, "label": names[service_id], **figures})
    elif filters.group_by in ("day", "week", "month"):
        for key, (b_start, b_end) in _buckets(filters, start, end):
            figures = _sum([_figures(service, b_start, b_end) for service in data.values()])
            rows.append({"group": key, **figures})
    return [_finish(row) for row in rows], _finish(total), ids


def _now() -> datetime:
    return timezone.now()


def compute(filters: Filters) -> Result:
    rows, total, _ = _compute(filters, _now())
    # Without a grouping the rows are per service, and say so, so one row's records narrow.
    shown = filters.with_(group_by="service") if filters.group_by == "" else filters
    return Result(metric=AVAILABILITY, filters=shown, rows=rows, total=total)


def records(filters: Filters) -> QuerySet[RecordFact]:
    """The fact rows of the major incidents whose outage counted."""
    _, _, ids = _compute(filters, _now())
    return RecordFact.objects.filter(record_type="incident", record_id__in=sorted(ids))


AVAILABILITY = register(
    Metric(
        key="availability",
        label="Service availability",
        kind="ratio",
        description=(
            "(Agreed service time − outage time) ÷ agreed service time, per service, up to "
            "now. Agreed service time is the service's hours in the period (the business "
            "calendar set under Service hours; 24x7 in the organisation's time zone when none "
            "is set), less planned maintenance: maintenance windows, at each weekly repeat, on "
            "the service or on a CI it depends on. Every scheduled window counts as approved, "
            "since windows carry no approval of their own. Outage time is the agreed time "
            "inside the outage of a major incident on the service (its service or an affected "
            "service): the outage window recorded when the major incident ended, else from its "
            "declaration to its resolution, or to now while it is open. Overlapping outages "
            "count once. The total weighs each service by its agreed time."
        ),
        compute=compute,
        records=records,
        better="higher",
        columns=[
            ("agreed_seconds", "Agreed service time"),
            ("outage_seconds", "Outage"),
            ("incidents", "Major incidents"),
            ("value", "Availability"),
        ],
        headline="value",
    )
)
