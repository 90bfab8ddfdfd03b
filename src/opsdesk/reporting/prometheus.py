"""The gauges ``/metrics`` shows Prometheus: how opsdesk itself is doing, right now.

Every family is one aggregate query (counts grouped in the database, never rows loaded), read
afresh at each scrape by a collector registered on a registry made for that scrape, so two
scrapes never share state and nothing is kept between them. Label values are what people
filter on in Grafana: record type keys, team names, priorities 1–5, severities.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from prometheus_client.exposition import generate_latest

from opsdesk.core.models import OutboxEvent
from opsdesk.core.models.outbox import OutboxStatus
from opsdesk.events.models import Alert, AlertStatus, Severity
from opsdesk.notifications.models import Delivery, DeliveryState
from opsdesk.reporting.models import RecordFact
from opsdesk.sla.models import SlaTimer
from opsdesk.sla.models.timers import TimerKind, TimerState

log = logging.getLogger(__name__)

# The text exposition format 0.0.4, which every Prometheus since 2.0 reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
AT_RISK_WITHIN = timedelta(hours=1)
NO_TEAM = "none"
NO_PRIORITY = "none"
ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SUPPRESSED)


def backlog() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "opsdesk_backlog_open",
        "Records open now, by record type, team and priority.",
        labels=["record_type", "team", "priority"],
    )
    rows = (
        RecordFact.objects.filter(is_open=True)
        .values("record_type", "team__name", "priority")
        .annotate(n=Count("pk"))
        .order_by("record_type", "team__name", "priority")
    )
    for row in rows:
        priority = NO_PRIORITY if row["priority"] is None else str(row["priority"])
        family.add_metric([row["record_type"], row["team__name"] or NO_TEAM, priority], row["n"])
    return family


def alerts() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "opsdesk_alerts_open",
        "Active alerts by severity and status (suppressed: silenced by maintenance or a rule).",
        labels=["severity", "status"],
    )
    counts = {
        (row["severity"], row["status"]): row["n"]
        for row in Alert.objects.filter(status__in=ALERT_STATUSES)
        .values("severity", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    # Every severity and status, zeros included, so an alert rule sees 0 rather than nothing.
    for severity in Severity.values:
        for status in ALERT_STATUSES:
            family.add_metric([severity, str(status)], counts.get((severity, status), 0))
    return family


def sla_timers(now) -> list[GaugeMetricFamily]:
    at_risk = GaugeMetricFamily(
        "opsdesk_sla_timers_at_risk",
        "Running SLA and OLA clocks due within the next hour, not yet breached.",
        labels=["kind"],
    )
    breached = GaugeMetricFamily(
        "opsdesk_sla_timers_breached_running",
        "SLA and OLA clocks past their target whose record is still being worked.",
        labels=["kind"],
    )
    rows = {
        row["kind"]: row
        for row in SlaTimer.objects.filter(state=TimerState.RUNNING)
        .values("kind")
        .annotate(
            at_risk=Count(
                "pk",
                filter=Q(
                    breached_at__isnull=True, due_at__gt=now, due_at__lte=now + AT_RISK_WITHIN
                ),
            ),
            breached=Count("pk", filter=Q(breached_at__isnull=False)),
        )
        .order_by()
    }
    for kind in TimerKind.values:
        row = rows.get(kind, {})
        at_risk.add_metric([kind], row.get("at_risk", 0))
        breached.add_metric([kind], row.get("breached", 0))
    return [at_risk, breached]


def outbox() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "opsdesk_outbox_events",
        "Domain facts not yet handed to every handler (pending) or given up on (dead).",
        labels=["status"],
    )
    counts = dict(
        OutboxEvent.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD])
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    for status in (OutboxStatus.PENDING, OutboxStatus.DEAD):
        family.add_metric([str(status)], counts.get(status, 0))
    return family


def worker_queue() -> list[GaugeMetricFamily]:
    up = GaugeMetricFamily(
        "opsdesk_worker_queue_up", "1 when the worker queue answered this scrape, else 0."
    )
    families = [up]
    try:
        pending, scheduled = HUEY.pending_count(), HUEY.scheduled_count()
    except Exception:  # the queue being down is what this gauge reports
        log.warning("The worker queue did not answer the metrics scrape", exc_info=True)
        up.add_metric([], 0)
        return families
    up.add_metric([], 1)
    families.append(
        GaugeMetricFamily(
            "opsdesk_worker_queue_pending", "Tasks waiting for a worker.", value=pending
        )
    )
    families.append(
        GaugeMetricFamily(
            "opsdesk_worker_queue_scheduled", "Tasks scheduled for later.", value=scheduled
        )
    )
    return families


def mail() -> list[GaugeMetricFamily]:
    figures = Delivery.objects.aggregate(
        pending=Count("pk", filter=Q(state=DeliveryState.PENDING)),
        retrying=Count("pk", filter=Q(state=DeliveryState.PENDING, attempts__gt=0)),
        dead=Count("pk", filter=Q(state=DeliveryState.DEAD)),
    )
    pending = GaugeMetricFamily(
        "opsdesk_mail_deliveries_pending", "Mails waiting to be sent.", value=figures["pending"]
    )
    failed = GaugeMetricFamily(
        "opsdesk_mail_deliveries_failed",
        "Mails whose sending failed: retrying (failed at least once, will try again) or dead "
        "(gave up; retry them from the mail log).",
        labels=["state"],
    )
    failed.add_metric(["retrying"], figures["retrying"])
    failed.add_metric(["dead"], figures["dead"])
    return [pending, failed]


class OpsdeskCollector:
    """Collects every family once per scrape."""

    def collect(self):
        now = timezone.now()
        yield backlog()
        yield alerts()
        yield from sla_timers(now)
        yield outbox()
        yield from worker_queue()
        yield from mail()


def exposition() -> bytes:
    """The text of one scrape, in the text exposition format 0.0.4."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OpsdeskCollector())
    return generate_latest(registry)
