"""Heartbeats of scheduled jobs: check-ins, and the events a missed or failed one raises.

A job pings ``/api/heartbeats/<token>`` when it succeeds (``/start`` when it begins,
``/fail`` when it fails). A failure or a missed deadline becomes an ordinary event, so rules
turn it into an incident; the next good check-in resolves it.

The next check-in is due one interval after the last one or, for a heartbeat with a cron
schedule, at the next fire time after it (read in the heartbeat's time zone). A new heartbeat,
one whose schedule changed and one resumed from pause count from that moment instead. The
check-in is missed once ``grace_seconds`` have passed after it was due.
"""

import copy
import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from opsdesk.core.concurrency import lock_for_update, version_check
from opsdesk.core.records import record_create, record_update, validate_or_fail
from opsdesk.events.ingest import events_accept
from opsdesk.events.models import (
    Action,
    CheckInKind,
    Format,
    Heartbeat,
    HeartbeatCheckIn,
    HeartbeatStatus,
    Integration,
    Severity,
    hash_secret,
    new_secret,
)
from opsdesk.events.normalise import CLASSIFICATION

HEARTBEAT_INTEGRATION = "Heartbeats"


def heartbeat_integration() -> Integration:
    """The integration heartbeat events arrive through; made on first use."""
    integration = Integration.objects.filter(name=HEARTBEAT_INTEGRATION).first()
    if integration is None:
        integration = Integration.objects.create(
            name=HEARTBEAT_INTEGRATION,
            format=Format.HEARTBEAT,
            description="Missed and failed check-ins of scheduled jobs.",
            secret_hash=hash_secret(new_secret()),
        )
    return integration


SCHEDULE_FIELDS = ("interval_seconds", "cron", "timezone")


def heartbeat_create(*, actor, now=None, **values) -> Heartbeat:
    """Register a job; its first check-in is due one schedule step after ``now``."""
    now = now or timezone.now()
    with transaction.atomic():
        values.setdefault("integration", heartbeat_integration())
        if "due_at" not in values:
            candidate = Heartbeat(**values)
            validate_or_fail(candidate)  # a bad cron expression is refused before it is used
            values["due_at"] = candidate.next_due(now)
        return record_create(Heartbeat, values=values, actor=actor)


def heartbeat_update(*, actor, heartbeat, expected_version=None, now=None, **values) -> Heartbeat:
    """Edit a heartbeat; a new schedule, or a resume from pause, counts from ``now``."""
    now = now or timezone.now()
    with transaction.atomic():
        current = lock_for_update(Heartbeat, heartbeat.pk)
        version_check(current, expected_version)
        candidate = copy.copy(current)
        for name, value in values.items():
            setattr(candidate, name, value)
        resumed = (
            current.status == HeartbeatStatus.PAUSED and candidate.status != HeartbeatStatus.PAUSED
        )
        rescheduled = any(
            getattr(candidate, name) != getattr(current, name) for name in SCHEDULE_FIELDS
        )
        if (resumed or rescheduled) and "due_at" not in values:
            validate_or_fail(candidate)
            values["due_at"] = candidate.next_due(now)
        return record_update(
            heartbeat, values=values, actor=actor, expected_version=expected_version
        )


def _raise_event(heartbeat: Heartbeat, *, action: str, summary: str, now) -> None:
    severity = heartbeat.severity if action == Action.TRIGGER else Severity.OK
    body = json.dumps([heartbeat.pk, action, now.isoformat()]).encode()
    events_accept(
        integration=heartbeat.integration,
        body=body,
        events=[
            {
                "fingerprint": heartbeat.fingerprint,
                "action": action,
                "severity": severity,
                "classification": CLASSIFICATION[severity],
                "occurred_at": now,
                "ends_at": None,
                "resource": heartbeat.ci.name if heartbeat.ci else heartbeat.name,
                "check_name": "heartbeat",
                "summary": summary,
                "description": heartbeat.description,
                "group_key": "",
                "labels": {"heartbeat": heartbeat.name},
                "links": [],
                "payload": {"heartbeat_id": heartbeat.pk},
            }
        ],
    )


def heartbeat_check_in(
    *, heartbeat: Heartbeat, kind: str = CheckInKind.SUCCESS, message: str = "", now=None
) -> HeartbeatCheckIn:
    """Record a check-in; a failure raises an event, a success after trouble resolves it."""
    now = now or timezone.now()
    with transaction.atomic():
        # Lock only the heartbeat row: PostgreSQL refuses FOR UPDATE across the nullable CI join.
        hb = (
            Heartbeat.objects.select_for_update(of=("self",))
            .select_related("integration", "ci")
            .get(pk=heartbeat.pk)
        )
        was_down = hb.status == HeartbeatStatus.DOWN
        duration = None
        if kind == CheckInKind.START:
            hb.last_started_at = now
            hb.status = HeartbeatStatus.DOWN if was_down else HeartbeatStatus.RUNNING
        else:
            if hb.last_started_at and (
                not hb.last_check_in_at or hb.last_started_at > hb.last_check_in_at
            ):
                duration = (now - hb.last_started_at).total_seconds()
                hb.last_duration_seconds = duration
            hb.last_check_in_at = now
            hb.due_at = hb.next_due(now)
            if kind == CheckInKind.FAIL:
                hb.status = HeartbeatStatus.DOWN
                _raise_event(hb, action=Action.TRIGGER, summary=f"{hb.name} failed", now=now)
            else:
                hb.status = HeartbeatStatus.UP
                if was_down:
                    _raise_event(hb, action=Action.RESOLVE, summary=f"{hb.name} is back", now=now)
        hb.save(
            update_fields=[
                "status",
                "last_started_at",
                "last_check_in_at",
                "last_duration_seconds",
                "due_at",
            ]
        )
        return HeartbeatCheckIn.objects.create(
            heartbeat=hb, kind=kind, at=now, duration_seconds=duration, message=message[:1000]
        )


def heartbeats_check_missed(*, now=None) -> int:
    """Heartbeats past their due time and grace period go down and raise an event."""
    now = now or timezone.now()
    missed = 0
    candidates = Heartbeat.objects.filter(due_at__isnull=False).exclude(
        status__in=[HeartbeatStatus.DOWN, HeartbeatStatus.PAUSED]
    )
    for heartbeat in candidates.select_related("integration", "ci"):
        if heartbeat.due_at + timedelta(seconds=heartbeat.grace_seconds) > now:
            continue
        with transaction.atomic():
            # Only the worker that flips the status raises the event.
            flipped = (
                Heartbeat.objects.filter(pk=heartbeat.pk, status=heartbeat.status)
                .exclude(status=HeartbeatStatus.DOWN)
                .update(status=HeartbeatStatus.DOWN)
            )
            if not flipped:
                continue
            HeartbeatCheckIn.objects.create(heartbeat=heartbeat, kind=CheckInKind.MISSED, at=now)
            _raise_event(
                heartbeat,
                action=Action.TRIGGER,
                summary=f"{heartbeat.name} did not check in",
                now=now,
            )
            missed += 1
    return missed
