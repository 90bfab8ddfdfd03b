"""Every write of event management made by people: integrations, rules, windows, alerts.

Ingest (``ingest.py``), processing (``processing.py``) and heartbeats (``heartbeats.py``) hold
the machine-driven writes.
"""

from django.db import transaction
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.concurrency import lock_for_update
from opsdesk.core.errors import TransitionRefused, ValidationFailed
from opsdesk.core.records import record_create, record_delete, record_update
from opsdesk.events.models import (
    ACTIVE_ALERT_STATUSES,
    Alert,
    AlertStatus,
    Format,
    Integration,
    MaintenanceWindow,
    Rule,
    hash_secret,
    new_secret,
)
from opsdesk.events.normalise import (
    read_alertmanager,
    read_generic,
    read_pagerduty,
    read_prometheus,
)
from opsdesk.events.planning import Planner, window_active
from opsdesk.events.processing import fact_payload, publish_facts


def integration_create(*, actor, **values) -> tuple[Integration, str]:
    """Create an integration; returns it with its secret, which is shown only this once."""
    secret = new_secret()
    with transaction.atomic():
        integration = record_create(
            Integration, values={**values, "secret_hash": hash_secret(secret)}, actor=actor
        )
    return integration, secret


def integration_update(*, actor, integration, expected_version=None, **values) -> Integration:
    with transaction.atomic():
        return record_update(
            integration, values=values, actor=actor, expected_version=expected_version
        )


def integration_rotate_secret(*, actor, integration) -> str:
    """A new secret; the old one stops working at once."""
    secret = new_secret()
    with transaction.atomic():
        Integration.objects.filter(pk=integration.pk).update(secret_hash=hash_secret(secret))
        audit_record(action="integration.secret_rotated", obj=integration, actor=actor)
    return secret


def rule_create(*, actor, **values) -> Rule:
    with transaction.atomic():
        return record_create(Rule, values=values, actor=actor)


def rule_update(*, actor, rule, expected_version=None, **values) -> Rule:
    with transaction.atomic():
        return record_update(rule, values=values, actor=actor, expected_version=expected_version)


def rule_delete(*, actor, rule) -> None:
    """Remove a rule; later events are no longer matched against it."""
    with transaction.atomic():
        record_delete(rule, actor=actor)


def window_create(*, actor, cis=(), **values) -> MaintenanceWindow:
    with transaction.atomic():
        return record_create(
            MaintenanceWindow,
            values={**values, "created_by": actor},
            actor=actor,
            m2m={"cis": [getattr(c, "pk", c) for c in cis]},
        )


def window_update(*, actor, window, expected_version=None, cis=None, **values):
    with transaction.atomic():
        return record_update(
            window,
            values=values,
            actor=actor,
            expected_version=expected_version,
            m2m=None if cis is None else {"cis": list(cis)},
        )


def window_end(*, actor, window, now=None) -> MaintenanceWindow:
    """End a window at once: it stops suppressing now and, if weekly, stops repeating."""
    now = now or timezone.now()
    with transaction.atomic():
        current = lock_for_update(MaintenanceWindow, window.pk)
        if current.starts_at > now:
            raise TransitionRefused(
                f"{current} has not started yet; delete it instead.",
                fields={"ends_at": ["The window has not started."]},
            )
        if not current.weekly and not window_active(current, now):
            raise TransitionRefused(
                f"{current} is already over.", fields={"ends_at": ["The window is over."]}
            )
        return record_update(
            current,
            values={"ends_at": now, "weekly": False},
            actor=actor,
            action="maintenancewindow.ended",
        )


def window_delete(*, actor, window) -> None:
    """Remove a window: events already received keep their state, new ones are not held."""
    with transaction.atomic():
        record_delete(window, actor=actor)


ALERT_ACTIONS = {
    "acknowledge": (AlertStatus.OPEN,),
    "resolve": ACTIVE_ALERT_STATUSES,
    "suppress": (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
    "unsuppress": (AlertStatus.SUPPRESSED,),
}


def alert_act(*, actor, alert: Alert, action: str) -> Alert:
    """An operator acknowledges, resolves or suppresses an alert from the console."""
    if action not in ALERT_ACTIONS:
        raise ValidationFailed(f"Unknown action {action!r}.", fields={"action": ["Unknown."]})
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.status not in ALERT_ACTIONS[action]:
            raise TransitionRefused(
                f"Cannot {action} an alert that is {current.get_status_display().lower()}.",
                fields={"status": [f"{action} is not possible now"]},
            )
        before = current.status
        now = timezone.now()
        topic = None
        if action == "acknowledge":
            current.status, current.acknowledged_at = AlertStatus.ACKNOWLEDGED, now
        elif action == "resolve":
            current.status, current.resolved_at, topic = AlertStatus.RESOLVED, now, "alert.resolved"
        elif action == "suppress":
            current.status = AlertStatus.SUPPRESSED
            current.suppressed_by = f"operator: {actor}"
        else:
            current.status, current.suppressed_by, topic = AlertStatus.OPEN, "", "alert.opened"
        current.save(update_fields=["status", "acknowledged_at", "resolved_at", "suppressed_by"])
        audit_record(
            action=f"alert.{action}",
            obj=current,
            changes={"status": {"from": before, "to": current.status}},
            actor=actor,
        )
        if topic:
            publish_facts([(topic, fact_payload(current))])
    return current


READERS = {
    Format.GENERIC: lambda body, identity, now: read_generic(body, identity=identity),
    Format.ALERTMANAGER: lambda body, identity, now: read_alertmanager(
        body, identity=identity, now=now
    ),
    Format.PROMETHEUS: lambda body, identity, now: read_prometheus(
        body, identity=identity, now=now
    ),
    Format.PAGERDUTY: lambda body, identity, now: read_pagerduty(body),
}


def rules_dry_run(*, integration: Integration, payload, format: str | None = None) -> dict:
    """Which rules match each event in ``payload`` and what would happen; writes nothing."""
    now = timezone.now()
    # READERS is keyed by Format, a str enum: a plain string finds the same reader.
    reader = READERS.get(format or integration.format, READERS[Format.GENERIC])  # type: ignore[call-overload]
    events, problems = reader(payload, integration.identity_labels, now)
    planner = Planner(now=now)
    results = []
    for event in events:
        plan = planner.plan(event, integration=integration)
        outcome = []
        if plan.drop:
            outcome.append("dropped")
        elif plan.suppressed_by:
            outcome.append(f"kept but suppressed ({plan.suppressed_by})")
        else:
            outcome.append(f"{event['action']} alert {event['fingerprint']}")
            if "create_incident" in plan.actions or "correlate" in plan.actions:
                outcome.append("opens or joins an incident")
            if plan.actions.get("notify"):
                outcome.append("notifies " + ", ".join(plan.actions["notify"]))
        results.append(
            {
                "fingerprint": event["fingerprint"],
                "summary": event["summary"],
                "severity": plan.severity,
                "labels": plan.labels,
                "matched_rules": plan.rules,
                "actions": plan.actions,
                "ci_id": plan.ci_id,
                "service_id": plan.service_id,
                "team_id": plan.team_id,
                "suppressed_by": plan.suppressed_by,
                "outcome": outcome,
            }
        )
    return {"problems": problems, "events": results}
