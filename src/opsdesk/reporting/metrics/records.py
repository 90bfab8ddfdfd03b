"""The metrics of the record types beyond incidents: problems (time to root cause, incidents
per problem, incidents resolved by a known error), request fulfilment (time to fulfil, approval
latency per stage, share of requests automated) and access (time to grant, time to revoke
after leaving, review completion).

What a ticket's fact row already holds (fulfilment and grant times, in calendar and business
time; resolution by a known error) is read from the facts. The rest is aggregated by the
database over the domain's own rows (problems' milestones, incident links, approval stage
runs, grants, review items), joined to the facts by subquery where a ticket stands behind the
number. Nothing is loaded into Python but the figures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from opsdesk.access.models import (
    Grant,
    LifecycleEvent,
    LifecycleKind,
    ReviewCampaign,
    ReviewItem,
)
from opsdesk.approvals.models import ApprovalStageRun, StageRunState
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.problems.models import Problem, ProblemIncident
from opsdesk.reporting.metrics import register
from opsdesk.reporting.metrics.base import (
    FILTER_COLUMNS,
    PERIOD_GROUPINGS,
    Filters,
    Metric,
    Result,
    duration_aggregates,
    facts,
    group_expression,
    grouped,
    ratio_finish,
)
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.periods import day_end, day_start, organisation_zone
from opsdesk.service_requests.models import AutomationState, ItemState, ItemTask, RequestItem

# A request item, or a request, that reached its requester: fulfilled, or closed after it
# (an item is closed only once fulfilled; a request is closed when any item was delivered).
DELIVERED = (ItemState.FULFILLED, ItemState.CLOSED)
FULFILMENT_TYPES = ("request_item", "service_request")
DECIDED_RUNS = (StageRunState.APPROVED, StageRunState.REJECTED)


# --- database expressions ---------------------------------------------------------------------
class SecondsBetween(Func):
    """``end − start`` in seconds, computed by the database: PostgreSQL's epoch of the
    interval; on SQLite the Julian-day difference (SQLite keeps instants to the millisecond,
    so the figure is rounded to it, which is exact)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, output_field=FloatField(), **extra)

    def _parts(self, compiler):
        end, start = (compiler.compile(e) for e in self.get_source_expressions())
        return end, start

    def as_sql(self, compiler, connection, **extra):
        (end_sql, end_params), (start_sql, start_params) = self._parts(compiler)
        sql = f"CAST(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) AS DOUBLE PRECISION)"
        return sql, (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra):
        (end_sql, end_params), (start_sql, start_params) = self._parts(compiler)
        sql = f"ROUND((julianday({end_sql}) - julianday({start_sql})) * 86400.0, 3)"
        return sql, (*end_params, *start_params)


def local_day(field):
    """The organisation's day an instant column fell on, as the database works it out."""
    return TruncDate(field, tzinfo=organisation_zone())


def in_period(field: str, filters: Filters) -> Q:
    """The instant ``field`` falls within the period's days (organisation zone)."""
    return Q(**{f"{field}__gte": day_start(filters.start), f"{field}__lt": day_end(filters.end)})


def own_grouped(
    qs: QuerySet, filters: Filters, *, on: str | None, by: dict[str, Any], **aggregates
) -> tuple[list[dict], dict]:
    """``grouped`` for a metric over rows that are not facts: a period grouping of the date
    ``on`` (a column or annotation), or one of the metric's own groupings ``by`` (grouping key
    -> expression). Another grouping gives the total alone: it is not a dimension of these
    rows."""
    total = qs.aggregate(**aggregates)
    expression = None
    if filters.group_by in PERIOD_GROUPINGS and on is not None:
        expression = group_expression(filters, on=on)
    elif filters.group_by in by:
        expression = by[filters.group_by]
    if expression is None:
        return [], total
    rows = list(
        qs.annotate(group=expression).values("group").annotate(**aggregates).order_by("group")
    )
    for row in rows:
        if hasattr(row["group"], "isoformat"):
            row["group"] = row["group"].isoformat()[:10]
    return rows, total


def _ratio_result(metric: Metric, filters: Filters, rows: list[dict], total: dict) -> Result:
    return Result(
        metric=metric,
        filters=filters,
        rows=[ratio_finish(row) for row in rows],
        total=ratio_finish(total),
    )


def _narrowed_by_facts(filters: Filters) -> bool:
    return any(getattr(filters, name) not in (None, "") for name in FILTER_COLUMNS)


# --- problems ---------------------------------------------------------------------------------
def _root_caused(filters: Filters) -> QuerySet[RecordFact]:
    """Problems' facts whose root cause was found in the period, with the moment and the
    seconds from opening to it."""
    found = Problem.objects.filter(in_period("root_cause_at", filters)).values("pk")
    root_cause_at = Problem.objects.filter(pk=OuterRef("record_id")).values("root_cause_at")[:1]
    return (
        facts(filters, on=None)
        .filter(record_type="problem", record_id__in=found)
        .annotate(root_cause_at=Subquery(root_cause_at))
        .annotate(
            root_cause_on=local_day("root_cause_at"),
            seconds=SecondsBetween(F("root_cause_at"), F("opened_at")),
        )
    )


def _time_to_root_cause(filters: Filters) -> Result:
    rows, total = grouped(
        _root_caused(filters), filters, on="root_cause_on", **duration_aggregates("seconds")
    )
    return Result(metric=TIME_TO_ROOT_CAUSE, filters=filters, rows=rows, total=total)


TIME_TO_ROOT_CAUSE = register(
    Metric(
        key="time_to_root_cause",
        label="Time to root cause",
        kind="duration",
        description=(
            "When the root cause was found (the problem recorded as a known error) minus when "
            "the problem was opened, over problems whose root cause was found in the period. "
            "Calendar time: business time is not kept for this milestone."
        ),
        compute=_time_to_root_cause,
        records=_root_caused,
        record_types=("problem",),
    )
)


def _problems_opened(filters: Filters) -> QuerySet[RecordFact]:
    """Problems' facts opened in the period, each with ``linked``: its incidents."""
    links = (
        ProblemIncident.objects.filter(problem_id=OuterRef("record_id"))
        .order_by()
        .values("problem_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        facts(filters, on="opened_on")
        .filter(record_type="problem")
        .annotate(linked=Coalesce(Subquery(links, output_field=IntegerField()), 0))
    )


def _incidents_per_problem(filters: Filters) -> Result:
    rows, total = grouped(
        _problems_opened(filters),
        filters,
        on="opened_on",
        count=Count("pk"),
        links=Sum("linked"),
        mean=Avg("linked"),
    )
    return Result(metric=INCIDENTS_PER_PROBLEM, filters=filters, rows=rows, total=total)


INCIDENTS_PER_PROBLEM = register(
    Metric(
        key="incidents_per_problem",
        label="Incidents per problem",
        kind="count",
        description=(
            "Incidents linked to each problem opened in the period: the mean per problem "
            "(problems with none count as 0) and the links in all."
        ),
        compute=_incidents_per_problem,
        records=_problems_opened,
        record_types=("problem",),
        better="higher",
        columns=[("count", "Problems"), ("links", "Incidents linked"), ("mean", "Per problem")],
        headline="mean",
    )
)


def _incidents_resolved(filters: Filters) -> QuerySet[RecordFact]:
    return facts(filters, on="first_resolved_on").filter(record_type="incident", is_cancelled=False)


def _known_error_resolutions(filters: Filters) -> Result:
    rows, total = grouped(
        _incidents_resolved(filters),
        filters,
        on="first_resolved_on",
        numerator=Count("pk", filter=Q(resolved_by_known_error=True)),
        denominator=Count("pk"),
    )
    return _ratio_result(KNOWN_ERROR_RESOLUTIONS, filters, rows, total)


KNOWN_ERROR_RESOLUTIONS = register(
    Metric(
        key="known_error_resolutions",
        label="Resolved by known error",
        kind="ratio",
        description=(
            "Incidents resolved while linked to a problem whose root cause was already known "
            "(a known error), divided by the incidents first resolved in the period; cancelled "
            "incidents are left out. An incident resolved before its problem became a known "
            "error does not count. The records are the incidents resolved by a known error."
        ),
        compute=_known_error_resolutions,
        records=lambda filters: _incidents_resolved(filters).filter(resolved_by_known_error=True),
        record_types=("incident",),
        better="higher",
        headline="value",
    )
)


# --- request fulfilment -----------------------------------------------------------------------
def _delivered(filters: Filters, *, default: str) -> QuerySet[RecordFact]:
    """Request items (or requests) delivered in the period: the fact rows of a fulfilled or
    closed-after-delivery record, on the day of its last fulfilment. A rejected or cancelled
    one also has a closing time in its facts, so it is left out by its state."""
    record_type = filters.record_type or default
    if record_type not in FULFILMENT_TYPES:
        return RecordFact.objects.none()
    return facts(filters.with_(record_type=record_type), on="resolved_on").filter(
        state__in=DELIVERED, is_open=False
    )


def _time_to_fulfil(filters: Filters) -> Result:
    column = "total_resolve_business_seconds" if filters.business else "total_resolve_seconds"
    rows, total = grouped(
        _delivered(filters, default="request_item"),
        filters,
        on="resolved_on",
        **duration_aggregates(column),
    )
    return Result(metric=TIME_TO_FULFIL, filters=filters, rows=rows, total=total)


TIME_TO_FULFIL = register(
    Metric(
        key="time_to_fulfil",
        label="Time to fulfil",
        kind="duration",
        description=(
            "Delivered minus ordered, for each requested item (or, with the record type "
            "Request, each request) delivered in the period. Sent back as not delivered, it "
            "counts to its last delivery; rejected and cancelled ones are left out. In "
            "business time the time spent waiting for the requester is left out."
        ),
        compute=_time_to_fulfil,
        records=lambda filters: _delivered(filters, default="request_item"),
        record_types=FULFILMENT_TYPES,
    )
)


def _subject_keys() -> list[tuple[str, int]]:
    """(ticket type key, content type id) of every registered ticket type."""
    types = ticket_types()
    content_types = ContentType.objects.get_for_models(*(tt.model for tt in types))
    return [(tt.key, content_types[tt.model].pk) for tt in types]


def _stage_runs(filters: Filters) -> QuerySet[ApprovalStageRun]:
    """Approval stages decided by people in the period (approved or rejected; skipped and
    withdrawn stages waited for nobody), and those still waiting that started by the
    period's end, each with its seconds from start to decision. Narrowing by record type,
    team, service... narrows by the ticket that asked for the approval."""
    decided = Q(state__in=DECIDED_RUNS) & in_period("decided_at", filters)
    waiting = Q(state=StageRunState.PENDING, started_at__lt=day_end(filters.end))
    runs = ApprovalStageRun.objects.filter(decided | waiting)
    if filters.stage:
        runs = runs.filter(stage__name=filters.stage)
    if _narrowed_by_facts(filters):
        subjects = Q(pk__in=[])
        for key, content_type_id in _subject_keys():
            if filters.record_type and key != filters.record_type:
                continue
            ids = facts(filters, on=None).filter(record_type=key).values("record_id")
            subjects |= Q(approval__subject_type_id=content_type_id, approval__subject_id__in=ids)
        runs = runs.filter(subjects)
    return runs.annotate(
        decided_on=Coalesce(local_day("decided_at"), local_day("started_at")),
        seconds=SecondsBetween(F("decided_at"), F("started_at")),
    )


def _subject_type_key():
    whens = [
        When(approval__subject_type_id=content_type_id, then=Value(key))
        for key, content_type_id in _subject_keys()
    ]
    return Case(*whens, default=Value(""), output_field=CharField())


def _approval_latency(filters: Filters) -> Result:
    rows, total = own_grouped(
        _stage_runs(filters),
        filters,
        on="decided_on",
        by={"stage": F("stage__name"), "record_type": _subject_type_key()},
        **duration_aggregates("seconds"),
        waiting=Count("pk", filter=Q(state=StageRunState.PENDING)),
    )
    return Result(metric=APPROVAL_LATENCY, filters=filters, rows=rows, total=total)


def _approval_records(filters: Filters) -> QuerySet[RecordFact]:
    """The fact rows of the tickets whose approval stages were decided in the period."""
    runs = _stage_runs(filters).filter(state__in=DECIDED_RUNS)
    subjects = Q(pk__in=[])
    for key, content_type_id in _subject_keys():
        ids = runs.filter(approval__subject_type_id=content_type_id).values("approval__subject_id")
        subjects |= Q(record_type=key, record_id__in=ids)
    return RecordFact.objects.filter(subjects)


APPROVAL_LATENCY = register(
    Metric(
        key="approval_latency",
        label="Approval latency",
        kind="duration",
        description=(
            "For each approval stage decided in the period (approved or rejected), its "
            "decision minus the moment the stage started asking; stages skipped by their "
            "condition or withdrawn are left out, stages still waiting are counted apart. "
            "Group by approval stage to see each stage by its name. Calendar time."
        ),
        compute=_approval_latency,
        records=_approval_records,
        record_types=("request_item", "access_request"),
        columns=[
            ("count", "Stages decided"),
            ("mean", "Mean"),
            ("median", "Median"),
            ("p90", "p90"),
            ("waiting", "Still waiting"),
        ],
    )
)


def _automated_requests(filters: Filters) -> QuerySet[RecordFact]:
    """Requests delivered in the period, each marked ``automated`` when none of its delivered
    items needed a person: every item had a plan and every task of it was done by automation
    (an item without a plan is fulfilled by its team; a failed or bypassed automation, or a
    manual step, is a person's task)."""
    tasks = ItemTask.objects.filter(item_id=OuterRef("pk"))
    by_hand = RequestItem.objects.filter(request_id=OuterRef("record_id"), state__in=DELIVERED)
    by_hand = by_hand.filter(
        ~Exists(tasks) | Exists(tasks.exclude(automation=AutomationState.SUCCEEDED))
    )
    return _delivered(filters, default="service_request").annotate(automated=~Exists(by_hand))


def _automated_share(filters: Filters) -> Result:
    qs = (
        _automated_requests(filters)
        if filters.record_type in ("", "service_request")
        else RecordFact.objects.none()
    )
    rows, total = grouped(
        qs,
        filters,
        on="resolved_on",
        numerator=Count("pk", filter=Q(automated=True)),
        denominator=Count("pk"),
    )
    return _ratio_result(AUTOMATED_SHARE, filters, rows, total)


AUTOMATED_SHARE = register(
    Metric(
        key="automated_share",
        label="Requests automated",
        kind="ratio",
        description=(
            "Requests delivered in the period without a person doing a task (every step of "
            "every delivered item done by automation: standard requests' webhooks and built-in "
            "actions), divided by the requests delivered in the period. The records are the "
            "automated requests."
        ),
        compute=_automated_share,
        records=lambda filters: (
            _automated_requests(filters).filter(automated=True)
            if filters.record_type in ("", "service_request")
            else RecordFact.objects.none()
        ),
        record_types=("service_request",),
        better="higher",
        headline="value",
    )
)


# --- access -----------------------------------------------------------------------------------
def _granted(filters: Filters) -> QuerySet[RecordFact]:
    return facts(filters, on="first_resolved_on").filter(
        record_type="access_request", state="granted"
    )


def _time_to_grant(filters: Filters) -> Result:
    column = "resolve_business_seconds" if filters.business else "resolve_seconds"
    rows, total = grouped(
        _granted(filters), filters, on="first_resolved_on", **duration_aggregates(column)
    )
    return Result(metric=TIME_TO_GRANT, filters=filters, rows=rows, total=total)


TIME_TO_GRANT = register(
    Metric(
        key="time_to_grant",
        label="Time to grant",
        kind="duration",
        description=(
            "Granted minus asked for, over access requests granted in the period: a request is "
            "granted when every grant it made is active and reached its directory (a grant "
            "asked to start later counts until it started). Rejected and cancelled requests "
            "are left out."
        ),
        compute=_time_to_grant,
        records=_granted,
        record_types=("access_request",),
    )
)


def leavers(filters: Filters) -> QuerySet[LifecycleEvent]:
    """The leavers whose access had to end in the period (a leaving date's last day, or a
    deactivation, up to now) and who held access then, each with ``held`` (grants held when
    they left), ``not_revoked`` (of those, still in a directory), ``revoked_at`` (the last
    one taken out) and ``seconds`` from leaving to it, once nothing is left."""
    now = timezone.now()
    # Access ends at the end of the last day: the leaving moment is midnight after it, so
    # the period holds the moments just after its first day's start up to its last's end.
    start, end = day_start(filters.start), min(day_end(filters.end), now)
    held = Grant.objects.filter(
        holder_id=OuterRef("person_id"), created_at__lt=OuterRef("effective_at")
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=OuterRef("effective_at")))

    def per_leaver(aggregate, **conditions):
        rows = held.filter(**conditions).order_by().values("holder_id")
        return Subquery(rows.annotate(value=aggregate).values("value"))

    return (
        LifecycleEvent.objects.filter(
            kind=LifecycleKind.LEAVER, effective_at__gt=start, effective_at__lte=end
        )
        .annotate(
            held=Coalesce(per_leaver(Count("pk")), 0),
            not_revoked=Coalesce(per_leaver(Count("pk"), deprovisioned_at__isnull=True), 0),
            revoked_at=per_leaver(Max("deprovisioned_at")),
        )
        .filter(held__gt=0)
        .annotate(
            seconds=Case(
                When(not_revoked=0, then=SecondsBetween(F("revoked_at"), F("effective_at"))),
                output_field=FloatField(),
            ),
            # The day they left: the last day of a leaving date, the day of a deactivation.
            left_on=local_day(F("effective_at") - Value(timedelta(microseconds=1))),
        )
    )


def _time_to_revoke(filters: Filters) -> Result:
    rows, total = own_grouped(
        leavers(filters),
        filters,
        on="left_on",
        by={},
        **duration_aggregates("seconds"),
        not_yet_revoked=Count("pk", filter=Q(not_revoked__gt=0)),
    )
    return Result(metric=TIME_TO_REVOKE, filters=filters, rows=rows, total=total)


TIME_TO_REVOKE = register(
    Metric(
        key="time_to_revoke",
        label="Time to revoke after leaving",
        kind="duration",
        description=(
            "For each person who left in the period holding access: the moment their last "
            "grant was taken out of its directory minus the moment their access had to end "
            "(the end of their last day, or when they were deactivated). Leavers with access "
            "still in place are counted apart as not yet revoked. Calendar time."
        ),
        compute=_time_to_revoke,
        records=None,  # people, not tickets: ``leavers(filters)`` lists them
        record_types=("access_request",),
        columns=[
            ("count", "Leavers"),
            ("mean", "Mean"),
            ("median", "Median"),
            ("p90", "p90"),
            ("not_yet_revoked", "Not yet revoked"),
        ],
    )
)


def review_items(filters: Filters) -> QuerySet[ReviewItem]:
    """Review items of the campaigns due in the period (one campaign's, when narrowed)."""
    campaigns = ReviewCampaign.objects.filter(in_period("deadline", filters))
    if filters.campaign is not None:
        campaigns = campaigns.filter(pk=filters.campaign)
    return ReviewItem.objects.filter(campaign__in=campaigns.values("pk")).annotate(
        due_on=local_day("campaign__deadline")
    )


def _review_completion(filters: Filters) -> Result:
    decided = ~Q(decision="") & Q(by_policy=False)
    rows, total = own_grouped(
        review_items(filters),
        filters,
        on="due_on",
        by={"campaign": F("campaign_id")},
        numerator=Count("pk", filter=decided),
        denominator=Count("pk"),
        by_policy=Count("pk", filter=Q(by_policy=True)),
    )
    return _ratio_result(REVIEW_COMPLETION, filters, rows, total)


REVIEW_COMPLETION = register(
    Metric(
        key="review_completion",
        label="Review completion",
        kind="ratio",
        description=(
            "Review items a reviewer decided divided by the review items of the access "
            "review campaigns due in the period; items decided at the deadline by the "
            "campaign's no-answer rule are not a reviewer's decision and are counted apart. "
            "Group by review campaign to see each."
        ),
        compute=_review_completion,
        records=None,  # review items, not tickets: ``review_items(filters)`` lists them
        record_types=("access_request",),
        better="higher",
        columns=[
            ("numerator", "Decided"),
            ("denominator", "Items"),
            ("value", "Rate"),
            ("by_policy", "Decided by the no-answer rule"),
        ],
        headline="value",
    )
)
