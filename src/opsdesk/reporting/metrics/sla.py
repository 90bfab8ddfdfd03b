"""Service levels and satisfaction: SLA and OLA compliance, the time each group held a
record, the open backlog by age and its daily trend, and CSAT with its response rate.

SLA clocks, surveys and group holds are not fact rows, so the record filters (team, person,
service, CI, priority, category, channel) reach them through the record's ``RecordFact``
(joined on record type and id); a column the row has itself (the record type; an OLA
clock's or a hold's assignment group) is read from the row.

With no grouping asked, a metric whose figure only means something per policy, target,
team or age bucket gives its rows in that breakdown, each row's ``group`` being the name
people read (the ids are in the row beside it, as ``policy``, ``target``, ``team`` or
``bucket``): a grouping chosen in the filters replaces that breakdown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from opsdesk.reporting.backlog import bucket_condition, open_at
from opsdesk.reporting.metrics import register
from opsdesk.reporting.metrics.base import (
    FILTER_COLUMNS,
    FilterError,
    Filters,
    Metric,
    Result,
    duration_aggregates,
    facts,
    group_expression,
    ratio_finish,
)
from opsdesk.reporting.models import AGE_BUCKETS, BacklogSnapshot, GroupHold, RecordFact
from opsdesk.reporting.periods import day_end, day_start, days_between, local_day, organisation_zone
from opsdesk.servicedesk.models import Survey
from opsdesk.sla.models import SlaTimer, TimerKind, TimerState

COMPLETED = (TimerState.MET, TimerState.BREACHED)
TARGET_LABELS = dict(TimerKind.choices)
NO_TEAM = "No team"
BUCKET_COLUMNS = [(key, label) for key, label, *_ in AGE_BUCKETS]


# --- shared ----------------------------------------------------------------------------------
def _record_conditions(filters: Filters, *, skip: tuple[str, ...] = ()) -> dict:
    """The filters that narrow the record (its fact row's columns), record type aside."""
    conditions = {}
    for name, column in FILTER_COLUMNS.items():
        if name == "record_type" or name in skip:
            continue
        value = getattr(filters, name)
        if value not in (None, ""):
            conditions[column] = value
    return conditions


def _timer_fact() -> QuerySet[RecordFact]:
    """The fact row of the outer query's SLA timer (timers name records by a text id)."""
    return RecordFact.objects.filter(
        record_type=OuterRef("record_type"),
        record_id=Cast(OuterRef("object_id"), BigIntegerField()),
    )


def _survey_fact() -> QuerySet[RecordFact]:
    return RecordFact.objects.filter(
        record_type=OuterRef("record_type"), record_id=OuterRef("record_id")
    )


def _through_fact(qs: QuerySet, filters: Filters, fact: QuerySet, *, skip=()) -> QuerySet:
    if filters.record_type:
        qs = qs.filter(record_type=filters.record_type)
    conditions = _record_conditions(filters, skip=skip)
    return qs.filter(Exists(fact.filter(**conditions))) if conditions else qs


def _group_expression(filters: Filters, *, at: str, fact: QuerySet | None, own: dict):
    """What rows group by: the organisation's day (week, month) of ``at``, a column of the
    row itself (``own``), else the record's fact column."""
    by = filters.group_by
    zone = organisation_zone()
    if by == "day":
        return TruncDate(at, tzinfo=zone)
    if by == "week":
        return TruncWeek(at, tzinfo=zone)
    if by == "month":
        return TruncMonth(at, tzinfo=zone)
    if by in own:
        return own[by]
    column = FILTER_COLUMNS[by]
    if fact is None:
        return F(f"fact__{column}")
    return Subquery(fact.values(column)[:1])


def _grouped(qs: QuerySet, expression, aggregates: dict) -> list[dict]:
    rows = list(
        qs.annotate(group=expression).values("group").annotate(**aggregates).order_by("group")
    )
    for row in rows:
        if isinstance(row["group"], date):
            row["group"] = row["group"].isoformat()[:10]
    return rows


def _period(filters: Filters, column: str) -> Q:
    """``column`` (an instant) on one of the period's organisation days."""
    return Q(**{f"{column}__gte": day_start(filters.start), f"{column}__lt": day_end(filters.end)})


def _team_names(rows: list[dict]) -> None:
    """Rows broken down by team without a grouping asked: the team's name is the group."""
    for row in rows:
        row["group"] = row.pop("team__name") or NO_TEAM


# --- SLA and OLA compliance ------------------------------------------------------------------
COMPLIANCE = {
    "numerator": Count("pk", filter=Q(state=TimerState.MET)),
    "denominator": Count("pk"),
    "breached": Count("pk", filter=Q(state=TimerState.BREACHED)),
}
COMPLIANCE_COLUMNS = [
    ("numerator", "Met"),
    ("breached", "Breached"),
    ("denominator", "Completed"),
    ("value", "Compliance"),
]


def _timers(filters: Filters, *, ola: bool) -> QuerySet[SlaTimer]:
    """Clocks that stopped met or breached on the period's days (cancelled and still running
    or paused ones are not completed); each cycle's clocks count on their own."""
    kinds = [TimerKind.OLA] if ola else [TimerKind.RESPONSE, TimerKind.RESOLUTION]
    qs = SlaTimer.objects.filter(
        _period(filters, "stopped_at"), kind__in=kinds, state__in=COMPLETED
    )
    if ola and filters.team is not None:
        qs = qs.filter(team_id=filters.team)  # the group whose OLA it is
    return _through_fact(qs, filters, _timer_fact(), skip=("team",) if ola else ())


def _timer_records(filters: Filters, *, ola: bool) -> QuerySet[RecordFact]:
    """The records that have a clock counted in the number."""
    timers = _timers(filters.with_(group_by=""), ola=ola).filter(
        record_type=OuterRef("record_type"),
        object_id=Cast(OuterRef("record_id"), CharField(max_length=64)),
    )
    scope = filters.with_(team=None) if ola else filters
    return facts(scope, on=None).filter(Exists(timers))


def _compliance(filters: Filters, *, ola: bool, metric: Callable[[], Metric]) -> Result:
    qs = _timers(filters, ola=ola)
    total = ratio_finish(qs.aggregate(**COMPLIANCE))
    if filters.group_by:
        own = {"record_type": F("record_type")}
        if ola:
            own["team"] = F("team_id")
        expression = _group_expression(filters, at="stopped_at", fact=_timer_fact(), own=own)
        rows = _grouped(qs, expression, COMPLIANCE)
    elif ola:
        rows = list(
            qs.values("team_id", "team__name").annotate(**COMPLIANCE).order_by("team__name")
        )
        _team_names(rows)
        for row in rows:
            row["team"] = row.pop("team_id")
    else:
        rows = list(
            qs.values("policy_id", "policy__name", "kind")
            .annotate(**COMPLIANCE)
            .order_by("policy__name", "kind")
        )
        for row in rows:
            row["policy"] = row.pop("policy_id")
            row["policy_name"] = row.pop("policy__name")
            row["target"] = row.pop("kind")
            row["group"] = f"{row['policy_name']} · {TARGET_LABELS[row['target']]}"
    return Result(
        metric=metric(), filters=filters, rows=[ratio_finish(r) for r in rows], total=total
    )


SLA_COMPLIANCE = register(
    Metric(
        key="sla_compliance",
        label="SLA compliance",
        kind="ratio",
        description=(
            "Response and resolution clocks met ÷ clocks completed (met or breached), over "
            "clocks that stopped on the period's days; per policy and target unless grouped "
            "otherwise. A reopened record starts a new cycle whose clocks count on their own; "
            "cancelled clocks are left out and running or paused ones are not completed yet. "
            "A clock is met or breached once, against its target in its own calendar, so "
            "choosing business or calendar time does not change this ratio."
        ),
        compute=lambda filters: _compliance(filters, ola=False, metric=lambda: SLA_COMPLIANCE),
        records=lambda filters: _timer_records(filters, ola=False),
        better="higher",
        columns=COMPLIANCE_COLUMNS,
        headline="value",
    )
)
OLA_COMPLIANCE = register(
    Metric(
        key="ola_compliance",
        label="OLA compliance",
        kind="ratio",
        description=(
            "Assignment-group (OLA) clocks met ÷ clocks completed (met or breached), over "
            "clocks that stopped on the period's days, per assignment group unless grouped "
            "otherwise; the team filter is the group whose OLA it is. Each hand-over closes "
            "the group's clock; cancelled clocks are left out."
        ),
        compute=lambda filters: _compliance(filters, ola=True, metric=lambda: OLA_COMPLIANCE),
        records=lambda filters: _timer_records(filters, ola=True),
        better="higher",
        columns=COMPLIANCE_COLUMNS,
        headline="value",
    )
)


# --- time each group held a record -----------------------------------------------------------
def _holds(filters: Filters) -> QuerySet[GroupHold]:
    qs = GroupHold.objects.filter(ended_on__gte=filters.start, ended_on__lte=filters.end)
    if filters.record_type:
        qs = qs.filter(fact__record_type=filters.record_type)
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    conditions = _record_conditions(filters, skip=("team",))
    return qs.filter(**{f"fact__{column}": value for column, value in conditions.items()})


def _hold_aggregates(filters: Filters) -> dict:
    column = "business_seconds" if filters.business else "seconds"
    return {
        **duration_aggregates(column),
        "within": Count("pk", filter=Q(within_target=True)),
        "with_target": Count("pk", filter=Q(target_seconds__isnull=False)),
    }


def _hold_finish(row: dict) -> dict:
    with_target = row.get("with_target") or 0
    row["within_share"] = (row.get("within") or 0) / with_target if with_target else None
    return row


def _hold_time(filters: Filters) -> Result:
    qs = _holds(filters)
    aggregates = _hold_aggregates(filters)
    total = _hold_finish(qs.aggregate(**aggregates))
    if filters.group_by:
        own = {"team": F("team_id"), "record_type": F("fact__record_type")}
        rows = _grouped(
            qs, _group_expression(filters, at="ended_at", fact=None, own=own), aggregates
        )
    else:
        rows = list(
            qs.values("team_id", "team__name").annotate(**aggregates).order_by("team__name")
        )
        _team_names(rows)
        for row in rows:
            row["team"] = row.pop("team_id")
    return Result(
        metric=OLA_HOLD_TIME, filters=filters, rows=[_hold_finish(r) for r in rows], total=total
    )


OLA_HOLD_TIME = register(
    Metric(
        key="ola_hold_time",
        label="Time held per group",
        kind="duration",
        description=(
            "How long each assignment group held a record: from the change that gave it the "
            "record (or its opening, or a reopening) to the next change of group or the "
            "resolution, over holds that ended on the period's days, per group unless "
            "grouped otherwise. Business time counts the working hours of the record's "
            "calendar less the time the SLA was paused. Within OLA: the share of holds whose "
            "business time stayed within the group's OLA target, of those that had one."
        ),
        compute=_hold_time,
        records=lambda filters: facts(filters.with_(team=None), on=None).filter(
            Exists(_holds(filters).filter(fact=OuterRef("pk")))
        ),
        columns=[
            ("count", "Holds"),
            ("mean", "Mean"),
            ("median", "Median"),
            ("p90", "p90"),
            ("within_share", "Within OLA"),
        ],
    )
)


# --- the open backlog by age, and its trend --------------------------------------------------
def _ageing_end(filters: Filters):
    """Now, or the end of the period's last day when it is over."""
    now = timezone.now()
    return now if filters.end >= local_day(now) else day_end(filters.end)


def _open(filters: Filters) -> QuerySet[RecordFact]:
    return facts(filters, on=None).filter(open_at(_ageing_end(filters)))


def _backlog_ageing(filters: Filters) -> Result:
    if filters.group_by in ("day", "week", "month"):
        raise FilterError(
            {"group_by": ["Backlog ageing is the backlog at one moment; see the backlog trend."]}
        )
    end = _ageing_end(filters)
    qs = _open(filters)
    aggregates = {
        "count": Count("pk"),
        **{key: Count("pk", filter=bucket_condition(key, end)) for key, _ in BUCKET_COLUMNS},
    }
    total = qs.aggregate(**aggregates)
    if filters.group_by:
        rows = _grouped(qs, group_expression(filters, on="opened_on"), aggregates)
    else:
        rows = [
            {"group": label, "bucket": key, "count": total[key]} for key, label in BUCKET_COLUMNS
        ]
    return Result(metric=BACKLOG_AGEING, filters=filters, rows=rows, total=total)


BACKLOG_AGEING = register(
    Metric(
        key="backlog_ageing",
        label="Backlog ageing",
        kind="count",
        description=(
            "Records open now (or at the end of the period, when it is over) by age since "
            "opened: under 7 days, 7–30, 30–90 and over 90 days, a bucket holding its lower "
            "bound. Cancelled records are not backlog."
        ),
        compute=_backlog_ageing,
        records=_open,
        columns=[("count", "Open"), *BUCKET_COLUMNS],
        headline="count",
    )
)

SNAPSHOT_GROUPINGS = {"": "day", "day": "day", "week": "day", "month": "day"}
SNAPSHOT_COLUMNS = {"record_type": "record_type", "team": "team_id", "priority": "priority"}


def _snapshots(filters: Filters) -> QuerySet[BacklogSnapshot]:
    kept = {"record_type", "team", "priority"}
    errors = {
        name: ["The backlog trend is kept per record type, team and priority only."]
        for name in FILTER_COLUMNS
        if name not in kept and getattr(filters, name) not in (None, "")
    }
    if filters.group_by and filters.group_by not in {*SNAPSHOT_GROUPINGS, *SNAPSHOT_COLUMNS}:
        errors["group_by"] = ["Group the backlog trend by period, record type, team or priority."]
    if errors:
        raise FilterError(errors)
    qs = BacklogSnapshot.objects.filter(day__gte=filters.start, day__lte=filters.end)
    for name, column in SNAPSHOT_COLUMNS.items():
        value = getattr(filters, name)
        if value not in (None, ""):
            qs = qs.filter(**{column: value})
    return qs


def _trend_aggregates() -> dict:
    # Named apart from the snapshot's own ``count`` column, which they add up.
    return {
        "open_count": Sum("count"),
        **{key: Sum("count", filter=Q(bucket=key)) for key, _ in BUCKET_COLUMNS},
    }


def _zeroes(row: dict) -> dict:
    if "open_count" in row:
        row["count"] = row.pop("open_count")
    for key in ("count", *(key for key, _ in BUCKET_COLUMNS)):
        row[key] = row.get(key) or 0
    return row


def _backlog_trend(filters: Filters) -> Result:
    qs = _snapshots(filters)
    aggregates = _trend_aggregates()
    daily = {
        row["day"]: _zeroes(row) for row in qs.values("day").annotate(**aggregates).order_by("day")
    }
    if not daily:
        return Result(metric=BACKLOG_TREND, filters=filters, rows=[], total=_zeroes({}))
    # Between the first and the last day taken, a day without rows had nothing open.
    days = days_between(min(daily), max(daily))
    series = [daily.get(day) or _zeroes({"day": day}) for day in days]
    last = series[-1]
    total = {key: value for key, value in last.items() if key != "day"}
    total["day"] = last["day"].isoformat()
    by = filters.group_by
    if by in SNAPSHOT_COLUMNS:
        column = SNAPSHOT_COLUMNS[by]
        rows = []
        for row in qs.values("day", column).annotate(**aggregates).order_by("day", column):
            row["group"] = row.pop(column)
            row["day"] = row["day"].isoformat()
            rows.append(_zeroes(row))
    elif by in ("week", "month"):
        # A backlog is a level, not a flow: a week or month shows its last day's level.
        ends: dict[date, dict] = {}
        for row in series:
            day = row["day"]
            first = day - timedelta(days=day.weekday()) if by == "week" else day.replace(day=1)
            ends[first] = row
        rows = [
            {**row, "group": first.isoformat(), "day": row["day"].isoformat()}
            for first, row in ends.items()
        ]
    else:
        rows = [
            {**row, "group": row["day"].isoformat(), "day": row["day"].isoformat()}
            for row in series
        ]
    return Result(metric=BACKLOG_TREND, filters=filters, rows=rows, total=total)


BACKLOG_TREND = register(
    Metric(
        key="backlog_trend",
        label="Backlog trend",
        kind="count",
        description=(
            "Records open at the end of each day of the period, by age bucket, from the "
            "snapshot taken each night (a week or month shows its last day). The snapshot "
            "keeps the record type, team and priority, so only those narrow the trend; the "
            "total is the backlog on the period's last day."
        ),
        compute=_backlog_trend,
        records=lambda filters: facts(filters, on=None).filter(open_at(day_end(filters.end))),
        columns=[("count", "Open"), *BUCKET_COLUMNS],
        headline="count",
    )
)


# --- satisfaction ----------------------------------------------------------------------------
SATISFIED = 4  # ratings 4 and 5 of 5


def _answered(filters: Filters) -> QuerySet[Survey]:
    qs = Survey.objects.filter(_period(filters, "answered_at"), rating__isnull=False)
    return _through_fact(qs, filters, _survey_fact())


def _sent(filters: Filters) -> QuerySet[Survey]:
    return _through_fact(
        Survey.objects.filter(_period(filters, "created_at")), filters, _survey_fact()
    )


CSAT_AGGREGATES = {
    "numerator": Count("pk", filter=Q(rating__gte=SATISFIED)),
    "denominator": Count("pk"),
}
SENT_AGGREGATES = {
    "sent": Count("pk"),
    "responses": Count("pk", filter=Q(answered_at__isnull=False)),
}


def _csat_finish(row: dict) -> dict:
    ratio_finish(row)
    row.setdefault("numerator", 0)
    row.setdefault("denominator", 0)
    row["sent"] = row.get("sent") or 0
    row["responses"] = row.get("responses") or 0
    row["response_rate"] = row["responses"] / row["sent"] if row["sent"] else None
    return row


def _csat(filters: Filters) -> Result:
    answered, sent = _answered(filters), _sent(filters)
    total = _csat_finish(
        {**answered.aggregate(**CSAT_AGGREGATES), **sent.aggregate(**SENT_AGGREGATES)}
    )
    rows: list[dict] = []
    if filters.group_by:
        own = {"record_type": F("record_type")}
        fact = _survey_fact()
        by_group: dict = {}
        for row in _grouped(
            answered,
            _group_expression(filters, at="answered_at", fact=fact, own=own),
            CSAT_AGGREGATES,
        ):
            by_group[row["group"]] = row
        for row in _grouped(
            sent, _group_expression(filters, at="created_at", fact=fact, own=own), SENT_AGGREGATES
        ):
            by_group.setdefault(row["group"], {"group": row["group"]}).update(row)
        # Keys of one grouping share a type; the one empty key sorts last.
        keys = sorted(by_group, key=lambda key: (key is None, key))
        rows = [_csat_finish(by_group[key]) for key in keys]
    return Result(metric=CSAT, filters=filters, rows=rows, total=total)


CSAT = register(
    Metric(
        key="csat",
        label="Customer satisfaction",
        kind="ratio",
        description=(
            "Survey answers rated 4 or 5 of 5 ÷ surveys answered on the period's days. "
            "Response rate: surveys sent on the period's days that were answered (whenever) "
            "÷ surveys sent then; an expired survey counts as sent and not answered."
        ),
        compute=_csat,
        records=lambda filters: facts(filters, on=None).filter(
            Exists(
                _answered(filters).filter(
                    record_type=OuterRef("record_type"), record_id=OuterRef("record_id")
                )
            )
        ),
        better="higher",
        columns=[
            ("numerator", "Rated 4–5"),
            ("denominator", "Answers"),
            ("value", "CSAT"),
            ("sent", "Surveys sent"),
            ("responses", "Answered"),
            ("response_rate", "Response rate"),
        ],
        headline="value",
    )
)
