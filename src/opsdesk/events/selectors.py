"""Reads of event management. The operations console is for staff: agents see everything."""

from django.db.models import QuerySet

from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import is_agent
from opsdesk.events.models import Alert, Event, Heartbeat, Integration, MaintenanceWindow, Rule


def _staff(viewer, qs: QuerySet) -> QuerySet:
    return qs if is_agent(viewer) else qs.none()


def alert_list(*, viewer) -> QuerySet[Alert]:
    return _staff(viewer, Alert.objects.select_related("integration", "ci", "service", "team"))


def event_list(*, viewer) -> QuerySet[Event]:
    return _staff(viewer, Event.objects.select_related("integration"))


def integration_list(*, viewer) -> QuerySet[Integration]:
    return _staff(viewer, Integration.objects.select_related("team"))


def rule_list(*, viewer) -> QuerySet[Rule]:
    return _staff(viewer, Rule.objects.all())


def window_list(*, viewer) -> QuerySet[MaintenanceWindow]:
    return _staff(viewer, MaintenanceWindow.objects.prefetch_related("cis"))


def heartbeat_list(*, viewer) -> QuerySet[Heartbeat]:
    return _staff(viewer, Heartbeat.objects.select_related("ci", "team", "integration"))


ALERT_HISTORY_TEXT = {
    "alert.acknowledge": "Acknowledged",
    "alert.resolve": "Resolved",
    "alert.suppress": "Suppressed",
    "alert.unsuppress": "Unsuppressed",
    "alert.incident_reopened": "Fired again: reopened incident {to}",
    "alert.incident_opened": "Fired again after incident {from} could not be reopened: "
    "opened incident {to}",
}


def alert_history(*, alert: Alert, limit: int = 50) -> list[dict]:
    """What happened to the alert, newest first, in words: who did what, and its incidents."""
    entries = AuditEntry.objects.filter(object_type="events.alert", object_id=str(alert.pk))
    history = []
    for entry in entries.order_by("-id")[:limit]:
        template = ALERT_HISTORY_TEXT.get(entry.action, entry.action)
        incident = (entry.changes or {}).get("incident") or {}
        text = template.format(**{"from": incident.get("from", ""), "to": incident.get("to", "")})
        history.append({"at": entry.at, "who": entry.actor_label, "text": text})
    return history
