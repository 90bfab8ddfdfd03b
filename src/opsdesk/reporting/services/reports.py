"""Writes of the report builder and of scheduled reports.

Saving and sharing a report, subscribing to a report or a dashboard, stopping and resuming a
subscription, and the hourly run that mails what is due. A due subscription publishes one
``reporting.subscription_due`` fact and moves its ``next_due_at`` on in the same transaction,
so two workers never send it twice; the outbox handler then renders the table and the chart
and queues the mail in notifications' delivery queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.roles import is_agent
from opsdesk.notifications.models import Event
from opsdesk.notifications.services import mail_queue
from opsdesk.reporting import metrics
from opsdesk.reporting.charts import result_png
from opsdesk.reporting.dashboards import DASHBOARDS, mail_sections
from opsdesk.reporting.metrics import FilterError, Filters, Result
from opsdesk.reporting.models import (
    SUBSCRIPTION_TRANSITIONS,
    Frequency,
    ReportSubscription,
    SavedReport,
    SubscriptionState,
)
from opsdesk.reporting.periods import local_day

# --- the builder's query: a metric, a period and the filters --------------------------------
PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "custom": "Dates"}
DEFAULT_PERIOD = "30"
# The parameters a saved report keeps (the builder's URL without the metric).
QUERY_KEYS = (
    "period",
    "start",
    "end",
    "record_type",
    "team",
    "person",
    "service",
    "ci",
    "priority",
    "category",
    "channel",
    "group_by",
    "time",
)
log = logging.getLogger(__name__)
SUBSCRIPTION_TOPIC = "reporting.subscription_due"
STOP_SALT = "opsdesk.reporting.subscription.stop"


@dataclass
class BuilderQuery:
    metric_key: str
    filters: Filters
    query: str  # what a saved report keeps


def builder_query(query) -> BuilderQuery:
    """Read the builder's parameters; ``FilterError`` with field messages on bad ones.

    A relative period (the last 7, 30 or 90 days) is kept as such, so a saved report mailed
    every week covers the week before each mail, not the days it was saved on."""
    errors: dict[str, list[str]] = {}
    key = (query.get("metric") or "").strip()
    known = {found.key for found in metrics.all_metrics()}
    if not key:
        errors["metric"] = ["Choose what to measure."]
    elif key not in known:
        errors["metric"] = ["Choose one of the measures."]
    period = (query.get("period") or DEFAULT_PERIOD).strip()
    values = {name: query.get(name, "") for name in QUERY_KEYS if query.get(name)}
    values["period"] = period
    filter_values = {k: v for k, v in values.items() if k not in ("start", "end")}
    if period not in PERIODS:
        errors["period"] = ["Choose one of the periods."]
    elif period != "custom":
        values.pop("start", None)
        values.pop("end", None)
        today = local_day(timezone.now())
        start = today - timedelta(days=int(period) - 1)
        filter_values = {**values, "start": start.isoformat(), "end": today.isoformat()}
    else:
        filter_values = dict(values)
        for name in ("start", "end"):
            if not values.get(name):
                errors[name] = ["Enter a date as YYYY-MM-DD."]
    filters = None
    try:
        filters = Filters.from_query(filter_values)
    except FilterError as exc:
        for name, messages in exc.errors.items():
            errors.setdefault(name, messages)
    if errors or filters is None:
        raise FilterError(errors)
    return BuilderQuery(metric_key=key, filters=filters, query=urlencode(values))


def saved_report_query(report: SavedReport) -> BuilderQuery:
    data = QueryDict(report.query, mutable=True)
    data["metric"] = report.metric_key
    return builder_query(data)


# --- saved reports ---------------------------------------------------------------------------
def _require_agent(actor) -> None:
    if not is_agent(actor):
        raise NotPermitted("Reports are for the IT team.")


@transaction.atomic
def saved_report_create(*, actor, name: str, query, shared: bool = False) -> SavedReport:
    """Save the builder's report under a name of the actor's own."""
    _require_agent(actor)
    name = (name or "").strip()
    fields: dict[str, list[str]] = {}
    if not name:
        fields["name"] = ["Give the report a name."]
    elif len(name) > 120:
        fields["name"] = ["A name has at most 120 characters."]
    elif SavedReport.objects.filter(owner=actor, name__iexact=name).exists():
        fields["name"] = ["You already have a report with this name."]
    try:
        built = builder_query(query)
    except FilterError as exc:
        fields.update(exc.errors)
        built = None
    if fields or built is None:
        raise ValidationFailed("The report is not saved: correct the fields shown.", fields=fields)
    report = SavedReport.objects.create(
        owner=actor, name=name, metric_key=built.metric_key, query=built.query, shared=shared
    )
    audit_record(
        action="saved_report.created",
        obj=report,
        changes={"metric": {"to": built.metric_key}, "shared": {"to": shared}},
        actor=actor,
    )
    return report


@transaction.atomic
def saved_report_share(*, actor, report: SavedReport, shared: bool) -> SavedReport:
    """Show the report to every agent, or to its owner only again."""
    if report.owner_id != actor.pk:
        raise NotPermitted("Only the owner of a report may share it.")
    if report.shared != shared:
        report.shared = shared
        report.save(update_fields=["shared", "updated_at"])
        audit_record(
            action="saved_report.shared" if shared else "saved_report.unshared",
            obj=report,
            changes={"shared": {"from": not shared, "to": shared}},
            actor=actor,
        )
    return report


# --- when a subscription is due ----------------------------------------------------------------
def _zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """``hour`` o'clock of ``day`` on the zone's wall clock, in UTC. An hour the clocks skip
    (spring forward) comes out as the hour after it; an hour they repeat, as its first time."""
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def next_due(
    *,
    frequency: str,
    weekday: int | None,
    day_of_month: int | None,
    hour: int,
    zone: ZoneInfo,
    after: datetime,
) -> datetime:
    """The first send time strictly after ``after``: the weekday (or day of the month) at
    ``hour`` on the subscriber's wall clock, so 08:00 stays 08:00 across daylight saving."""
    today = after.astimezone(zone).date()
    if frequency == Frequency.WEEKLY:
        day = today + timedelta(days=((weekday or 0) - today.weekday()) % 7)
        candidate = _at(day, hour, zone)
        if candidate <= after:
            candidate = _at(day + timedelta(days=7), hour, zone)
        return candidate
    dom = day_of_month or 1
    year, month = today.year, today.month
    for _ in range(3):
        candidate = _at(date(year, month, dom), hour, zone)
        if candidate > after:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("a month always follows")  # pragma: no cover


def subscription_next_due(subscription: ReportSubscription, *, after: datetime) -> datetime:
    return next_due(
        frequency=subscription.frequency,
        weekday=subscription.weekday,
        day_of_month=subscription.day_of_month,
        hour=subscription.hour,
        zone=_zone(subscription.user),
        after=after,
    )


# --- subscribing -------------------------------------------------------------------------------
def _schedule_fields(frequency, weekday, day_of_month, hour) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if frequency not in Frequency.values:
        fields["frequency"] = ["Choose every week or every month."]
    if frequency == Frequency.WEEKLY and (weekday is None or not 0 <= weekday <= 6):
        fields["weekday"] = ["Choose the day of the week."]
    if frequency == Frequency.MONTHLY and (day_of_month is None or not 1 <= day_of_month <= 28):
        fields["day_of_month"] = ["Choose a day from 1 to 28 (every month has it)."]
    if hour is None or not 0 <= hour <= 23:
        fields["hour"] = ["Choose an hour from 0 to 23."]
    return fields


@transaction.atomic
def subscription_create(
    *,
    actor,
    report: SavedReport | None = None,
    dashboard: str = "",
    frequency: str,
    weekday: int | None = None,
    day_of_month: int | None = None,
    hour: int = 8,
    now: datetime | None = None,
) -> ReportSubscription:
    """Mail a saved report (one the actor may see) or a dashboard to the actor on a schedule."""
    _require_agent(actor)
    now = now or timezone.now()
    dashboard = (dashboard or "").strip()
    fields = _schedule_fields(frequency, weekday, day_of_month, hour)
    if report is None and not dashboard:
        fields["report"] = ["Choose a report or a dashboard."]
    elif report is not None and dashboard:
        fields["dashboard"] = ["Subscribe to a report or to a dashboard, not both."]
    elif report is not None and not (report.shared or report.owner_id == actor.pk):
        raise NotPermitted("This report is not shared with you.")
    elif dashboard and dashboard not in DASHBOARDS:
        fields["dashboard"] = ["Choose one of the dashboards."]
    if not actor.email:
        fields["frequency"] = ["Your profile has no email address to send the report to."]
    if fields:
        raise ValidationFailed("Not subscribed: correct the fields shown.", fields=fields)
    subscription = ReportSubscription(
        user=actor,
        report=report,
        dashboard=dashboard,
        frequency=frequency,
        weekday=weekday if frequency == Frequency.WEEKLY else None,
        day_of_month=day_of_month if frequency == Frequency.MONTHLY else None,
        hour=hour,
    )
    subscription.next_due_at = subscription_next_due(subscription, after=now)
    subscription.save()
    audit_record(
        action="report_subscription.created",
        obj=subscription,
        changes={"schedule": {"to": subscription.schedule_text}},
        actor=actor,
    )
    return subscription


@transaction.atomic
def subscription_transition(
    *, actor, subscription: ReportSubscription, action: str, now: datetime | None = None
) -> ReportSubscription:
    """Stop or resume a subscription (by its subscriber, or by the stop link as them)."""
    now = now or timezone.now()
    subscription = ReportSubscription.objects.select_for_update().get(pk=subscription.pk)
    if actor is not None and actor.pk != subscription.user_id:
        raise NotPermitted("Only the subscriber may change this subscription.")
    target = SUBSCRIPTION_TRANSITIONS.get((subscription.state, action))
    if target is None:
        state = SubscriptionState(subscription.state).label.lower()
        raise TransitionRefused(f"This subscription is {state}; it cannot {action}.")
    before = subscription.state
    subscription.state = target
    if target == SubscriptionState.STOPPED:
        subscription.stopped_at = now
        subscription.next_due_at = None
    else:
        subscription.stopped_at = None
        subscription.generation += 1  # links in earlier mails no longer stop this one
        subscription.next_due_at = subscription_next_due(subscription, after=now)
    subscription.save()
    audit_record(
        action=f"report_subscription.{'stopped' if action == 'stop' else 'resumed'}",
        obj=subscription,
        changes={"state": {"from": before, "to": target}},
        actor=actor or subscription.user,
    )
    return subscription


# --- the one-click stop link ------------------------------------------------------------------
def stop_token(subscription: ReportSubscription) -> str:
    return signing.dumps({"s": subscription.pk, "g": subscription.generation}, salt=STOP_SALT)


def stop_url(subscription: ReportSubscription) -> str:
    base = getattr(settings, "BASE_URL", "").rstrip("/")
    return base + reverse("reporting:subscription-stop", args=[stop_token(subscription)])


def subscription_from_token(token: str) -> ReportSubscription:
    """The subscription a stop link is for; refuses forged or altered links."""
    bad = ValidationFailed("This link is not valid.", code="bad_link")
    try:
        data = signing.loads(token, salt=STOP_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise bad from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise bad
    found = ReportSubscription.objects.select_related("report", "user").filter(pk=data["s"])
    subscription = found.first()
    if subscription is None:
        raise bad
    subscription.link_generation = data.get("g")  # type: ignore[attr-defined]
    return subscription


def subscription_stop_by_link(*, token: str, now: datetime | None = None) -> ReportSubscription:
    """Stop the subscription the link names, once: a used (or outdated) link stops nothing."""
    subscription = subscription_from_token(token)
    if (
        subscription.state != SubscriptionState.ACTIVE
        or subscription.link_generation != subscription.generation  # type: ignore[attr-defined]
    ):
        raise TransitionRefused("This subscription is already stopped.", code="already_stopped")
    return subscription_transition(actor=None, subscription=subscription, action="stop", now=now)


# --- the hourly run ---------------------------------------------------------------------------
def subscriptions_run_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Publish a fact for every active subscription that is due and move it to its next
    time; returns how many fell due. A run missed for weeks sends once, not once per week."""
    now = now or timezone.now()
    with transaction.atomic():
        due = ReportSubscription.objects.filter(
            state=SubscriptionState.ACTIVE, next_due_at__lte=now
        ).order_by("next_due_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due.select_related("user")[:limit])
        for subscription in rows:
            outbox_publish(
                topic=SUBSCRIPTION_TOPIC,
                payload={
                    "subscription_id": subscription.pk,
                    "due_at": subscription.next_due_at,
                },
            )
            subscription.next_due_at = subscription_next_due(subscription, after=now)
            subscription.save(update_fields=["next_due_at"])
    return len(rows)


# --- the mail ---------------------------------------------------------------------------------
CHART_CID_DOMAIN = "opsdesk.reports"


def _dashboard_parts(slug: str) -> tuple[str, list[tuple[str, Filters]], str]:
    """A dashboard's title, its (metric, filters) sections and its address."""
    return mail_sections(slug)


def _sections(subscription: ReportSubscription) -> tuple[str, list[tuple[str, Filters]], str]:
    report = subscription.report
    if report is not None:
        built = saved_report_query(report)
        url = reverse("reporting:saved-report", args=[report.pk])
        return report.name, [(built.metric_key, built.filters)], url
    return _dashboard_parts(subscription.dashboard)


def subscription_mail(subscription: ReportSubscription, *, source_event_id: int):
    """Render and queue one subscription's mail: each section's table in the HTML, and its
    chart as a PNG part the HTML shows by Content-ID."""
    title, sections, path = _sections(subscription)
    base = getattr(settings, "BASE_URL", "").rstrip("/")
    results: list[tuple[Result, str]] = []
    images = []
    for index, (key, filters) in enumerate(sections, start=1):
        result = metrics.compute(key, filters)
        cid = f"chart{index}.{subscription.pk}.{source_event_id}@{CHART_CID_DOMAIN}"
        images.append((cid, f"chart-{index}.png", result_png(result)))
        results.append((result, cid))
    unsubscribe = stop_url(subscription)
    context = {
        "subscription": subscription,
        "title": title,
        "results": results,
        "url": base + path,
        "stop_url": unsubscribe,
        "name": subscription.user.get_full_name() or subscription.user.get_username(),
    }
    every = "Weekly" if subscription.frequency == Frequency.WEEKLY else "Monthly"
    return mail_queue(
        source_event_id=source_event_id,
        kind=Event.SCHEDULED_REPORT,
        user=subscription.user,
        subject=f"{every} report: {title}",
        body_text=render_to_string("reporting/subscriptions/mail.txt", context),
        body_html=render_to_string("reporting/subscriptions/mail.html", context),
        url=base + path,
        headers={
            # RFC 2369 and RFC 8058: clients offer "Unsubscribe", which POSTs to the link.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        images=images,
    )


def subscription_due_handle(*, event_id: int, payload: dict) -> None:
    """The outbox handler's work: mail the subscription, unless it stopped meanwhile."""
    subscription = (
        ReportSubscription.objects.select_related("report", "user")
        .filter(pk=int(payload["subscription_id"]), state=SubscriptionState.ACTIVE)
        .first()
    )
    if subscription is None:
        return
    report = subscription.report
    if report is not None and not (report.shared or report.owner_id == subscription.user_id):
        return  # the owner stopped sharing it: it is no longer this subscriber's to read
    try:
        subscription_mail(subscription, source_event_id=event_id)
    except FilterError:
        # The saved measure or filters are gone (a team deleted, a metric retired): retrying
        # cannot help; the report's page tells its owner to build it again.
        log.warning("subscription %s: its report no longer builds", subscription.pk)
        return
    ReportSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=timezone.now())
