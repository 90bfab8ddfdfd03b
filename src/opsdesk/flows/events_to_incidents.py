"""The journey from a monitoring alert to an incident, and back to resolved.

Events publishes ``alert.opened`` / ``alert.updated`` / ``alert.resolved`` with the actions of
the rules that matched. Here we decide, per alert:

1. inhibition: a CI whose dependency has a critical open alert is a symptom of it, so the
   alert joins that incident instead of opening its own;
2. correlation: with a ``correlate`` action, join an open incident for the same service, CI or
   group key that was linked within the window;
3. otherwise, with ``create_incident``, open one (priority from severity and CI criticality,
   assignment group from the rule, else the CI's supporting team).

When every alert of an incident has cleared, the incident is resolved, unless a rule said
``"auto_resolve": "never"``. Handlers are idempotent: the outbox delivers at least once.
"""

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.cmdb.selectors import ci_dependencies
from opsdesk.core.audit import audit_record
from opsdesk.core.models import Team
from opsdesk.core.outbox import outbox_handler, outbox_publish
from opsdesk.events.models import ACTIVE_ALERT_STATUSES, Alert, AlertStatus, Severity
from opsdesk.incidents.alert_links import incident_alert_link
from opsdesk.incidents.models import (
    OPEN_STATES,
    Category,
    IncidentAlert,
    IncidentAlertRole,
    ResolutionCode,
    State,
)
from opsdesk.incidents.services import incident_comment, incident_open, incident_transition
from opsdesk.incidents.workflow import within_reopen_window

log = logging.getLogger(__name__)

MONITORING_USERNAME = "monitoring"
DEFAULT_WINDOW_MINUTES = 60
AUTO_RESOLUTION_CODE = "solved_permanently"

# Severity sets urgency; the CI's criticality sets impact. The matrix gives the priority.
URGENCY = {Severity.CRITICAL: 1, Severity.MAJOR: 2}
IMPACT = {1: 1, 2: 2}


def monitoring_caller():
    """Incidents need a caller: monitoring itself, as a service account that cannot sign in."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=MONITORING_USERNAME,
        defaults={"display_name": "Monitoring", "email": "monitoring@localhost"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _link(incident, alert: Alert, role: str) -> IncidentAlert:
    return incident_alert_link(incident=incident, alert=alert, role=role)


def _symptom_of(alert: Alert):
    """The open incident of a failing dependency of the alert's CI, if any."""
    if alert.ci_id is None:
        return None
    walk = ci_dependencies(ci=alert.ci_id)
    depends_on = [reached.ci.id for reached in walk.items]
    if not depends_on:
        return None
    link = (
        IncidentAlert.objects.select_related("incident")
        .filter(
            alert__ci_id__in=depends_on,
            alert__status__in=ACTIVE_ALERT_STATUSES,
            alert__severity=Severity.CRITICAL,
            incident__state__in=OPEN_STATES,
        )
        .order_by("linked_at")
        .first()
    )
    return link.incident if link else None


def _correlated(alert: Alert, correlate: dict):
    by = correlate.get("by")
    window = timedelta(minutes=correlate.get("window_minutes", DEFAULT_WINDOW_MINUTES))
    value = {"service": alert.service_id, "ci": alert.ci_id, "group_key": alert.group_key}.get(by)
    if not value:
        return None
    field = {"service": "alert__service_id", "ci": "alert__ci_id", "group_key": "alert__group_key"}
    link = (
        IncidentAlert.objects.select_related("incident")
        .filter(
            **{field[by]: value},
            incident__state__in=OPEN_STATES,
            linked_at__gte=timezone.now() - window,
        )
        .exclude(alert=alert)
        .order_by("-linked_at")
        .first()
    )
    return link.incident if link else None


def _open_incident(alert: Alert, options: dict):
    ci = ConfigurationItem.objects.filter(pk=alert.ci_id).first() if alert.ci_id else None
    service = (
        ConfigurationItem.objects.filter(pk=alert.service_id).first() if alert.service_id else None
    )
    group_id = options.get("assignment_group") or alert.team_id
    if group_id is None and ci is not None:
        group_id = ci.supporting_team_id
    category = None
    if options.get("category"):
        category = Category.objects.filter(pk=options["category"]).first()
    impact = IMPACT.get(ci.criticality, 3) if ci else (2 if alert.severity == "critical" else 3)
    description = "\n".join(
        line
        for line in (
            alert.description,
            f"Resource: {alert.resource}" if alert.resource else "",
            f"Check: {alert.check_name}" if alert.check_name else "",
            "Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())),
        )
        if line
    )
    return incident_open(
        actor=None,
        caller=monitoring_caller(),
        short_description=(alert.summary or alert.fingerprint)[:200],
        description=description,
        channel="event",
        category=category,
        service=service,
        ci=ci,
        impact=impact,
        urgency=URGENCY.get(alert.severity, 3),
        assignment_group=Team.objects.filter(pk=group_id).first() if group_id else None,
    )


def _alert_ids(payload: dict) -> list[int]:
    # One fact carries many alerts; a fact from before batching carried one alert_id.
    if "alerts" in payload:
        return [a["alert_id"] for a in payload["alerts"]]
    return [payload["alert_id"]]


def _isolated(*, topic: str, payload: dict, items: list, handle, alert_id_of) -> None:
    """Handle each item in its own savepoint, so that one bad alert cannot hold up the rest.

    The alerts that failed are published again, one fact each; a one-alert fact that fails
    raises, and the outbox retries it with back-off and shows the error, as for any fact.
    """
    if len(_alert_ids(payload)) == 1:
        for item in items:
            handle(item)
        return
    failed = []
    for item in items:
        try:
            with transaction.atomic():
                handle(item)
        except Exception:
            log.warning(
                "%s: alert %s failed; retried alone", topic, alert_id_of(item), exc_info=True
            )
            failed.append(alert_id_of(item))
    sent = {a["alert_id"]: a for a in payload["alerts"]}
    for alert_id in failed:
        outbox_publish(topic=topic, payload={"alerts": [sent[alert_id]]})


def _attach(alert: Alert) -> None:
    if incident := _symptom_of(alert):
        _link(incident, alert, IncidentAlertRole.SYMPTOM)
        return
    actions = alert.actions or {}
    if "correlate" in actions and (incident := _correlated(alert, actions["correlate"])):
        _link(incident, alert, IncidentAlertRole.CORRELATED)
        return
    options = actions.get("create_incident")
    options = options if isinstance(options, dict) else {}
    earlier = IncidentAlert.objects.select_related("incident").filter(alert=alert).first()
    if earlier is not None:
        _fired_again(alert, earlier, options)
        return
    incident = _open_incident(alert, options)
    _link(incident, alert, IncidentAlertRole.ORIGIN)


def _fired_again(alert: Alert, earlier: IncidentAlert, options: dict) -> None:
    """A cleared alert fires again: reopen its resolved incident while it may be reopened,
    else open a new one (as PagerDuty does); the alert's history says which."""
    previous = earlier.incident
    if previous.state == State.RESOLVED and within_reopen_window(previous) is None:
        incident_transition(
            actor=None,
            incident=previous,
            action="reopen",
            reason=f"The alert fired again: {alert.summary or alert.fingerprint}"[:500],
        )
        audit_record(
            action="alert.incident_reopened",
            obj=alert,
            changes={"incident": {"from": previous.number, "to": previous.number}},
        )
        return
    incident = _open_incident(alert, options)
    earlier.incident, earlier.role, earlier.linked_at = (
        incident,
        IncidentAlertRole.ORIGIN,
        timezone.now(),
    )
    earlier.save(update_fields=["incident", "role", "linked_at"])
    audit_record(
        action="alert.incident_opened",
        obj=alert,
        changes={"incident": {"from": previous.number, "to": incident.number}},
    )


def _wants_incident(actions: dict | None) -> bool:
    actions = actions or {}
    return "create_incident" in actions or "correlate" in actions


@outbox_handler("alert.opened")
@outbox_handler("alert.updated")
def alert_to_incident(*, event_id, topic, payload):
    """Attach each alert to an incident, opening one when the rules ask for it."""
    ids = _alert_ids(payload)
    if "alerts" in payload:
        # Most alerts ask for no incident, and the fact says which rules' actions they carry:
        # a fact of a thousand alerts nobody wants an incident for costs no query at all.
        wanted = {a["alert_id"] for a in payload["alerts"] if _wants_incident(a.get("actions"))}
        ids = [i for i in ids if i in wanted]
        if not ids:
            return
    alerts = [
        a
        for a in Alert.objects.filter(
            pk__in=ids, status__in=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
        ).order_by("id")
        if _wants_incident(a.actions)
    ]
    if not alerts:
        return
    # Already handled: a redelivery, or a later update of the same alert.
    linked = set(
        IncidentAlert.objects.filter(alert__in=alerts, incident__state__in=OPEN_STATES).values_list(
            "alert_id", flat=True
        )
    )
    _isolated(
        topic=topic,
        payload=payload,
        items=[a for a in alerts if a.pk not in linked],
        handle=_attach,
        alert_id_of=lambda alert: alert.pk,
    )


def _resolve_incident(incident) -> None:
    alerts = Alert.objects.filter(incident_links__incident=incident)
    if alerts.filter(status__in=ACTIVE_ALERT_STATUSES).exists():
        return
    if any((a.actions or {}).get("auto_resolve") == "never" for a in alerts):
        incident_comment(
            actor=None,
            incident=incident,
            body="Every alert of this incident has cleared.",
        )
        return
    code = ResolutionCode.objects.filter(key=AUTO_RESOLUTION_CODE).first()
    incident_transition(
        actor=None,
        incident=incident,
        action="resolve",
        resolution_code=code,
        resolution_notes="Resolved automatically: every alert of this incident has cleared.",
    )


@outbox_handler("alert.resolved")
def resolve_when_clear(*, event_id, topic, payload):
    """Resolve the alerts' incidents once all their alerts have cleared (unless told never)."""
    links = (
        IncidentAlert.objects.select_related("incident")
        .filter(alert_id__in=_alert_ids(payload), incident__state__in=OPEN_STATES)
        .order_by("incident_id")
    )
    incidents, alert_of = {}, {}
    for link in links:
        incidents.setdefault(link.incident_id, link.incident)
        alert_of.setdefault(link.incident_id, link.alert_id)
    _isolated(
        topic=topic,
        payload=payload,
        items=list(incidents.values()),
        handle=_resolve_incident,
        alert_id_of=lambda incident: alert_of[incident.pk],
    )
