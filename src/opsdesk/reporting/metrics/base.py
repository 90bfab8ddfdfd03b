"""What a metric is: a key, a label, how it is computed (in words, shown on hover), and a
function from ``Filters`` to a ``Result`` computed in the database.

Every metric takes the same filters (period, record type, team, person, service, CI,
priority, category, channel; calendar or business time) and the same grouping, so the
dashboards, the report builder, the API and CSV export ask for any of them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

from django.db.models import Avg, Count, F, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from opsdesk.reporting.aggregates import Percentile
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.periods import local_day

# Groupings: the key the URL carries -> the fact column (or period) and its label.
GROUPINGS = {
    "": "No grouping",
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "record_type": "Record type",
    "team": "Team",
    "person": "Person",
    "service": "Service",
    "ci": "Configuration item",
    "priority": "Priority",
    "category": "Category",
    "channel": "Channel",
    # Groupings of one family's own rows, not fact dimensions: a metric that has them handles
    # them itself (approval stages, review campaigns); fact metrics give only their total.
    "stage": "Approval stage",
    "campaign": "Review campaign",
}
OWN_GROUPINGS = ("stage", "campaign")
PERIOD_GROUPINGS = ("day", "week", "month")
# Filter key -> the fact column it narrows.
FILTER_COLUMNS = {
    "record_type": "record_type",
    "team": "team_id",
    "person": "assignee_id",
    "service": "service_id",
    "ci": "ci_id",
    "priority": "priority",
    "category": "category",
    "channel": "channel",
}
INTEGER_FILTERS = ("team", "person", "service", "ci", "priority", "campaign")
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


class FilterError(ValueError):
    """Bad filter values: ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Filters:
    """The period (organisation days, both ends included), narrowing and grouping."""

    start: date
    end: date
    record_type: str = ""
    team: int | None = None
    person: int | None = None
    service: int | None = None
    ci: int | None = None
    priority: int | None = None
    category: str = ""
    channel: str = ""
    stage: str = ""  # an approval stage's name (approval latency)
    campaign: int | None = None  # a review campaign (review completion)
    group_by: str = ""
    business: bool = False  # durations in business time of each record's calendar

    @classmethod
    def default(cls, *, days: int = DEFAULT_DAYS, **values) -> Filters:
        today = local_day(timezone.now())
        return cls(start=today - timedelta(days=days - 1), end=today, **values)

    @classmethod
    def from_query(cls, query) -> Filters:
        """Filters from a query dict (a URL's or the API's); ``FilterError`` on bad values."""
        errors: dict[str, list[str]] = {}
        base = cls.default()
        values: dict = {}
        for name in ("start", "end"):
            text = (query.get(name) or "").strip()
            if not text:
                values[name] = getattr(base, name)
                continue
            try:
                values[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = ["Enter a date as YYYY-MM-DD."]
        if "start" in values and "end" in values:
            if values["start"] > values["end"]:
                errors["end"] = ["The end of the period is before its start."]
            elif (values["end"] - values["start"]).days >= MAX_DAYS:
                errors["start"] = [f"A period spans at most {MAX_DAYS} days."]
        for name in INTEGER_FILTERS:
            text = (query.get(name) or "").strip()
            if text:
                try:
                    values[name] = int(text)
                except ValueError:
                    errors[name] = ["Choose one of the options."]
        for name in ("record_type", "category", "channel", "stage"):
            values[name] = (query.get(name) or "").strip()
        group_by = (query.get("group_by") or "").strip()
        if group_by not in GROUPINGS:
            errors["group_by"] = [f"Group by one of: {', '.join(k for k in GROUPINGS if k)}."]
        values["group_by"] = group_by
        values["business"] = (query.get("time") or "") == "business"
        if values["record_type"]:
            from opsdesk.core.tickets.registry import ticket_types

            if values["record_type"] not in {tt.key for tt in ticket_types()}:
                errors["record_type"] = ["Choose one of the record types."]
        if errors:
            raise FilterError(errors)
        return cls(**values)

    def to_query(self) -> dict[str, str]:
        """The filters as URL parameters (empty ones left out), the inverse of ``from_query``."""
        out: dict[str, str] = {}
        for name, value in asdict(self).items():
            if name == "business":
                if value:
                    out["time"] = "business"
            elif value not in (None, ""):
                out[name] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def narrow(self, group: str) -> Filters:
        """The filters of one group of a grouped result: its day, week or month, or its
        team, person, service... (the group's key as the filter's value)."""
        by = self.group_by
        if by in ("day", "week", "month"):
            first = date.fromisoformat(group[:10])
            if by == "day":
                last = first
            elif by == "week":
                last = first + timedelta(days=6)
            else:
                following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
                last = following - timedelta(days=1)
            return replace(self, start=max(first, self.start), end=min(last, self.end), group_by="")
        if by in INTEGER_FILTERS:
            return replace(self, group_by="", **{by: int(group)})
        if by:
            return replace(self, group_by="", **{by: group})
        return self

    def previous(self) -> Filters:
        """The period of the same length just before this one (trend against it)."""
        length = timedelta(days=self.days)
        return replace(self, start=self.start - length, end=self.end - length)


@dataclass
class Result:
    """A metric's figures: one row per group (``group`` is its key, ``label`` what people
    read) and the total over all groups. Duration values are seconds; ratios 0..1."""

    metric: Metric
    filters: Filters
    rows: list[dict] = field(default_factory=list)
    total: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[tuple[str, str]]:
        return self.metric.columns


DURATION_COLUMNS = [("count", "Records"), ("mean", "Mean"), ("median", "Median"), ("p90", "p90")]
RATIO_COLUMNS = [("numerator", "Counted"), ("denominator", "Of"), ("value", "Rate")]
COUNT_COLUMNS = [("count", "Records")]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: str  # "duration", "ratio" or "count"
    description: str  # how the number is computed, in words people read on hover
    compute: Callable[[Filters], Result]
    # records(filters) -> the fact rows behind the number (``narrow`` picks one group's).
    records: Callable[[Filters], QuerySet] | None = None
    record_types: tuple[str, ...] = ()  # empty: every record type
    # "lower" when a smaller number is better (durations), "higher" otherwise.
    better: str = "lower"
    target: float | None = None
    columns: list[tuple[str, str]] = field(default_factory=list)
    # The headline value of a result: which of its total's values a card shows.
    headline: str = "mean"

    def __post_init__(self):
        if not self.columns:
            default = {
                "duration": DURATION_COLUMNS,
                "ratio": RATIO_COLUMNS,
                "count": COUNT_COLUMNS,
            }[self.kind]
            object.__setattr__(self, "columns", list(default))


# --- querying facts ---------------------------------------------------------------------------
def facts(filters: Filters, *, on: str | None = "opened_on") -> QuerySet[RecordFact]:
    """Fact rows matching the filters whose ``on`` day falls in the period (``None``: any)."""
    qs = RecordFact.objects.all()
    if on is not None:
        qs = qs.filter(**{f"{on}__gte": filters.start, f"{on}__lte": filters.end})
    for name, column in FILTER_COLUMNS.items():
        value = getattr(filters, name)
        if value not in (None, ""):
            qs = qs.filter(**{column: value})
    return qs


def group_expression(filters: Filters, *, on: str | None):
    """The expression rows are grouped by (``None``: one total row)."""
    if on is None and filters.group_by in PERIOD_GROUPINGS:
        # A number as things stand now (the open backlog) has no day to put a record in.
        raise FilterError(
            {"group_by": ["This number is as things stand now: group it by something else."]}
        )
    if filters.group_by in OWN_GROUPINGS:
        return None  # not a fact dimension: only the metrics over those rows group by it
    match filters.group_by:
        case "":
            return None
        case "day":
            return F(on)
        case "week":
            return TruncWeek(on)
        case "month":
            return TruncMonth(on)
        case "person":
            return F("assignee_id")
        case "team" | "service" | "ci":
            return F(f"{filters.group_by}_id")
        case other:
            return F(other)


def grouped(
    qs: QuerySet, filters: Filters, *, on: str | None, **aggregates
) -> tuple[list[dict], dict]:
    """Run ``aggregates`` per group and over everything: (rows, total), rows in group order."""
    total = qs.aggregate(**aggregates)
    expression = group_expression(filters, on=on)
    if expression is None:
        return [], total
    rows = list(
        qs.annotate(group=expression).values("group").annotate(**aggregates).order_by("group")
    )
    for row in rows:
        if isinstance(row["group"], date):
            row["group"] = row["group"].isoformat()[:10]
    return rows, total


def duration_aggregates(column: str) -> dict:
    return {
        "count": Count(column),
        "mean": Avg(column),
        "median": Percentile(column, 0.5),
        "p90": Percentile(column, 0.9),
    }


def ratio_finish(row: dict) -> dict:
    denominator = row.get("denominator") or 0
    row["value"] = (row.get("numerator") or 0) / denominator if denominator else None
    return row
