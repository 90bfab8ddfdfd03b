"""Turn pending events into alerts, in batches, each batch one transaction.

A batch claims its events with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers split the backlog; on SQLite the write lock serialises them. Events, alerts and the
facts published to the outbox commit together: a worker killed mid-batch leaves its events
pending for the next one, and nothing is processed twice.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from opsdesk.core.outbox import outbox_publish_many
from opsdesk.events.bulk import insert_rows, update_rows, update_values
from opsdesk.events.models import (
    ACTIVE_ALERT_STATUSES,
    SEVERITY_RANK,
    Action,
    Alert,
    AlertStatus,
    Event,
    EventState,
    Integration,
)
from opsdesk.events.normalise import host_of
from opsdesk.events.planning import Planner, classification_of

BATCH_SIZE = 1000
FLAP_WINDOW = timedelta(minutes=10)
FLAP_THRESHOLD = 4  # state changes within the window that make an alert flapping

ALERT_UPDATE_FIELDS = [
    "status",
    "severity",
    "highest_severity",
    "classification",
    "summary",
    "description",
    "labels",
    "links",
    "last_seen",
    "count",
    "expires_at",
    "resolved_at",
    "acknowledged_at",
    "ci",
    "service",
    "team",
    "actions",
    "suppressed_by",
    "state_changes",
    "flapping",
]

ALERT_UPDATE_ATTNAMES = [Alert._meta.get_field(name).attname for name in ALERT_UPDATE_FIELDS]
ALERT_ATTNAMES = [f.attname for f in Alert._meta.concrete_fields]

# What processing reads of an event; the raw payload is only kept for people to read.
EVENT_FIELDS = (
    "id",
    "integration_id",
    "fingerprint",
    "action",
    "severity",
    "resource",
    "check_name",
    "summary",
    "description",
    "group_key",
    "labels",
    "links",
    "ends_at",
)


class AlertState:
    """An alert as a batch works on it: its columns as plain attributes.

    Building thousands of model instances per batch cost more than the rest of processing;
    the bulk writers and ``fact_payload`` need only the attributes.
    """

    def __init__(self, values: dict):
        self.__dict__.update(values)

    @property
    def pk(self):
        return self.id

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_ALERT_STATUSES


def fact_payload(alert, rules=()) -> dict:
    return {
        "alert_id": alert.pk,
        "integration_id": alert.integration_id,
        "fingerprint": alert.fingerprint,
        "status": alert.status,
        "severity": alert.severity,
        "ci_id": alert.ci_id,
        "service_id": alert.service_id,
        "team_id": alert.team_id,
        "group_key": alert.group_key,
        "summary": alert.summary,
        "actions": alert.actions,
        "rules": list(rules),
    }


FACT_CHUNK = 500


def publish_facts(facts: list[tuple[str, dict]]) -> None:
    """One fact per topic for many alerts: ``{"alerts": [...]}`` in one row, not one per alert.

    Delivering facts one by one costs a transaction per handler per fact; a batch of 1,000 new
    alerts would keep the worker busy for many seconds. Handlers read the alerts' current state,
    so grouping by topic (in the order the topics first appear) changes no outcome.
    """
    if not facts:
        return
    by_topic: dict[str, list[dict]] = {}
    for topic, payload in facts:
        by_topic.setdefault(topic, []).append(payload)
    rows = [
        (topic, {"alerts": alerts[i : i + FACT_CHUNK]})
        for topic, alerts in by_topic.items()
        for i in range(0, len(alerts), FACT_CHUNK)
    ]
    outbox_publish_many(rows)  # one insert; the worker wakes once, after the commit


def _note_change(alert, now) -> None:
    """Remember a state change; too many in the window and the alert is flapping."""
    cutoff = (now - FLAP_WINDOW).isoformat()
    recent = [t for t in alert.state_changes if t >= cutoff]
    recent.append(now.isoformat())
    alert.state_changes = recent[-FLAP_THRESHOLD * 2 :]
    alert.flapping = len(recent) >= FLAP_THRESHOLD


class Batch:
    def __init__(self, *, now):
        self.now = now
        self.planner = Planner(now=now)
        self.integrations = {}
        self.alerts: dict[tuple[int, str], AlertState] = {}
        self.new: list[AlertState] = []
        self.changed: dict[int, AlertState] = {}
        self.facts: list[tuple[str, AlertState, list]] = []
        self.loaded: dict[int, list] = {}  # alert id -> its updatable values as read

    def load(self, events: list[dict]) -> None:
        ids = {e["integration_id"] for e in events}
        self.planner.ci_names_load({host_of(e["resource"]) for e in events if e["resource"]})
        self.integrations = {i.pk: i for i in Integration.objects.filter(pk__in=ids)}
        fingerprints = {e["fingerprint"] for e in events}
        # Active alerts, and ones cleared recently enough that a re-trigger means flapping.
        candidates = Alert.objects.filter(
            integration_id__in=ids, fingerprint__in=fingerprints
        ).filter(status__in=ACTIVE_ALERT_STATUSES) | Alert.objects.filter(
            integration_id__in=ids,
            fingerprint__in=fingerprints,
            status=AlertStatus.RESOLVED,
            resolved_at__gte=self.now - FLAP_WINDOW,
        )
        if connection.features.has_select_for_update:
            # Held to the commit: people acknowledging and the expiry sweep write alerts too.
            candidates = candidates.select_for_update()
        for values in candidates.order_by("id").values(*ALERT_ATTNAMES):
            alert = AlertState(values)
            self.loaded[alert.id] = [values[name] for name in ALERT_UPDATE_ATTNAMES]
            key = (alert.integration_id, alert.fingerprint)
            current = self.alerts.get(key)
            if current is None or not current.active:
                self.alerts[key] = alert

    def run(self, events: list[dict]) -> None:
        self.load(events)
        for event in events:
            self.apply(event)
        self.save(events)

    def apply(self, event: dict) -> None:
        integration = self.integrations[event["integration_id"]]
        key = (event["integration_id"], event["fingerprint"])
        alert = self.alerts.get(key)
        plan = self.planner.plan(
            event,
            integration=integration,
            known_ci=alert.ci_id if alert else None,
            known_service=alert.service_id if alert else None,
        )
        event["alert"] = None
        if plan.drop:
            event["state"] = EventState.DROPPED
            return
        event["state"] = EventState.SUPPRESSED if plan.suppressed_by else EventState.PROCESSED
        if event["action"] == Action.TRIGGER:
            alert = self._trigger(event, alert, plan, key)
        elif alert is not None and alert.active:
            if event["action"] == Action.RESOLVE:
                self._resolve(alert, plan)
            elif alert.status == AlertStatus.OPEN:
                alert.status = AlertStatus.ACKNOWLEDGED
                alert.acknowledged_at = self.now
            alert.last_seen = self.now
            alert.count += 1
            self._touch(alert)
        event["alert"] = alert

    def _trigger(self, event, alert, plan, key) -> AlertState:
        status = AlertStatus.SUPPRESSED if plan.suppressed_by else AlertStatus.OPEN
        if alert is None:
            alert = AlertState(
                {
                    "id": None,
                    "integration_id": event["integration_id"],
                    "fingerprint": event["fingerprint"],
                    "status": status,
                    "severity": plan.severity,
                    "highest_severity": plan.severity,
                    "classification": classification_of(plan.severity),
                    "resource": event["resource"],
                    "check_name": event["check_name"],
                    "group_key": event["group_key"],
                    "first_seen": self.now,
                    "last_seen": self.now,
                    "count": 0,
                    "resolved_at": None,
                    "acknowledged_at": None,
                    "state_changes": [self.now.isoformat()],
                    "flapping": False,
                }
            )
            self.alerts[key] = alert
            self.new.append(alert)
            topic = "alert.opened"
        elif not alert.active:
            # Cleared moments ago and firing again: the same alert, flapping perhaps.
            alert.status, alert.resolved_at = status, None
            _note_change(alert, self.now)
            self._touch(alert)
            topic = "alert.opened"
        else:
            worse = SEVERITY_RANK[plan.severity] < SEVERITY_RANK[alert.severity]
            topic = "alert.updated" if worse else None
            if alert.status == AlertStatus.SUPPRESSED and not plan.suppressed_by:
                alert.status, topic = AlertStatus.OPEN, "alert.opened"
            self._touch(alert)
        alert.severity = plan.severity
        if SEVERITY_RANK[plan.severity] < SEVERITY_RANK[alert.highest_severity]:
            alert.highest_severity = plan.severity
        alert.classification = classification_of(plan.severity)
        alert.summary, alert.description = event["summary"], event["description"]
        alert.labels, alert.links = plan.labels, event["links"]
        alert.last_seen = self.now
        alert.count += 1
        alert.expires_at = event["ends_at"]
        alert.ci_id = plan.ci_id
        alert.service_id = plan.service_id
        alert.team_id = plan.team_id
        alert.actions = plan.actions
        alert.suppressed_by = plan.suppressed_by
        if topic and alert.status != AlertStatus.SUPPRESSED:
            self.facts.append((topic, alert, plan.rules))
        return alert

    def _resolve(self, alert: AlertState, plan) -> None:
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = self.now
        alert.severity = "ok"
        alert.expires_at = None
        _note_change(alert, self.now)
        self.facts.append(("alert.resolved", alert, plan.rules))

    def _touch(self, alert: AlertState) -> None:
        if alert.pk:
            self.changed[alert.pk] = alert

    def save(self, events: list[dict]) -> None:
        insert_rows(Alert, self.new, returning_ids=True)
        # A repeat usually changes only when it was last seen and how often: writing just the
        # columns that changed makes the rows, and the statement, several times smaller.
        by_fields: dict[tuple, list[AlertState]] = {}
        for alert in self.changed.values():
            before = self.loaded.get(alert.pk)
            fields = tuple(
                name
                for n, (name, attname) in enumerate(
                    zip(ALERT_UPDATE_FIELDS, ALERT_UPDATE_ATTNAMES, strict=True)
                )
                if before is None or before[n] != getattr(alert, attname)
            )
            if fields:
                by_fields.setdefault(fields, []).append(alert)
        for fields, alerts in by_fields.items():
            update_rows(Alert, alerts, list(fields))
        update_values(
            Event,
            [e["id"] for e in events],
            {
                "state": [e["state"] for e in events],
                "processed_at": [self.now] * len(events),
                "alert": [e["alert"].id if e["alert"] else None for e in events],
            },
        )
        # A flapping alert stays quiet until it is stable (see alerts_settle).
        publish_facts([(t, fact_payload(a, rules)) for t, a, rules in self.facts if not a.flapping])


def _claim(limit: int) -> list[dict]:
    pending = Event.objects.filter(state=EventState.PENDING).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        pending = pending.select_for_update(skip_locked=True)
    events = list(pending.values(*EVENT_FIELDS)[:limit])
    if events and connection.features.has_select_for_update_skip_locked:
        _wait_for_earlier(events)
    return events


def _wait_for_earlier(events: list[dict]) -> None:
    """Let batches claimed earlier by other workers commit first where they share an alert.

    Workers claim batches in arrival order but finish them in any order; a resolve must not
    overtake the trigger before it. Older events still pending are exactly those locked by
    other workers' batches: waiting for their locks (never for newer ones) keeps each alert's
    events in order and cannot deadlock. When the other batch commits, its events are no
    longer pending and the wait returns nothing.
    """
    fingerprints = list({e["fingerprint"] for e in events})
    earlier = Event.objects.filter(
        state=EventState.PENDING, id__lt=events[0]["id"], fingerprint__in=fingerprints
    )
    list(earlier.select_for_update().values_list("id", flat=True))


def events_process_pending(*, limit: int = BATCH_SIZE, now=None) -> int:
    """Process one batch of pending events into alerts; returns how many were processed."""
    # A plain read first: on SQLite a transaction takes the write lock, which an idle worker
    # looking for work must not hold against ingest.
    if not Event.objects.filter(state=EventState.PENDING).exists():
        return 0
    for attempt in range(3):
        try:
            with transaction.atomic():
                events = _claim(limit)
                if events:
                    Batch(now=now or timezone.now()).run(events)
                return len(events)
        except IntegrityError:
            # Another worker opened the same alert first; the retry sees it and updates it.
            if attempt == 2:
                raise
    return 0


def events_process_all(*, limit: int = BATCH_SIZE, max_batches: int = 1000) -> int:
    """Drain the backlog batch by batch; memory stays that of one batch."""
    total = 0
    for _ in range(max_batches):
        done = events_process_pending(limit=limit)
        total += done
        if done < limit:
            break
    return total


def alerts_expire(*, now=None, limit: int = 1000) -> int:
    """Resolve alerts whose sender stopped re-sending them (Prometheus' endsAt passed)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Alert.objects.filter(
            status__in=ACTIVE_ALERT_STATUSES, expires_at__isnull=False, expires_at__lte=now
        ).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        alerts = list(due[:limit])
        for alert in alerts:
            alert.status, alert.resolved_at, alert.severity = AlertStatus.RESOLVED, now, "ok"
            _note_change(alert, now)
        update_rows(
            Alert, alerts, ["status", "resolved_at", "severity", "state_changes", "flapping"]
        )
        publish_facts([("alert.resolved", fact_payload(a)) for a in alerts if not a.flapping])
    return len(alerts)


def alerts_settle(*, now=None) -> int:
    """Flapping alerts quiet for a whole window are stable again: announce where they ended."""
    now = now or timezone.now()
    with transaction.atomic():
        settled = [
            a
            for a in Alert.objects.select_for_update().filter(flapping=True)[:1000]
            if not a.state_changes or a.state_changes[-1] < (now - FLAP_WINDOW).isoformat()
        ]
        for alert in settled:
            alert.flapping = False
        update_rows(Alert, settled, ["flapping"])
        publish_facts(
            [
                ("alert.resolved" if not a.active else "alert.opened", fact_payload(a))
                for a in settled
            ]
        )
    return len(settled)


def events_prune(*, now=None) -> int:
    """Delete raw events past the retention (alerts are kept)."""
    days = int(getattr(settings, "OPSDESK_EVENTS_RETENTION_DAYS", 14))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    total = 0
    while True:
        ids = list(
            Event.objects.filter(received_at__lt=cutoff)
            .exclude(state=EventState.PENDING)
            .values_list("id", flat=True)[:5000]
        )
        if not ids:
            return total
        total += Event.objects.filter(id__in=ids).delete()[0]
