"""Attaching monitoring alerts to incidents: one service, audited, on the incident's timeline."""

from django.db import transaction
from django.utils import timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.models import TimelineKind
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents.models import IncidentAlert, IncidentAlertRole

# How an attached alert reads on the incident's timeline (the origin is the opening itself).
TIMELINE_LINES = {
    IncidentAlertRole.CORRELATED: "Alert correlated: {alert}.",
    IncidentAlertRole.SYMPTOM: "Alert attached as a symptom of this incident's failure: {alert}.",
}


@transaction.atomic
def incident_alert_link(*, incident, alert, role: str, actor=None) -> IncidentAlert:
    """Attach ``alert`` to ``incident`` in ``role``; an alert belongs to one incident, so a
    second call for the same alert returns its existing link and writes nothing."""
    if role not in IncidentAlertRole.values:
        raise ValueError(f"unknown alert role {role!r}")
    now = timezone.now()
    link, created = IncidentAlert.objects.get_or_create(
        alert=alert, defaults={"incident": incident, "role": role, "linked_at": now}
    )
    if not created:
        return link
    audit_record(
        action="incident.alert_linked",
        obj=incident,
        changes={"alert": {"from": None, "to": alert.pk}, "role": {"from": None, "to": role}},
        actor=actor,
    )
    line = TIMELINE_LINES.get(role)
    if line:
        name = alert.summary or alert.fingerprint
        timeline_add(
            record=incident,
            kind=TimelineKind.SYSTEM,
            author=actor,
            body=line.format(alert=name),
            data={"field": "alerts", "alert_id": alert.pk, "role": role},
            at=now,
        )
    return link
