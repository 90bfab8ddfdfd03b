"""Read each sender's format into one normalised event, collecting every problem found.

Each reader takes the decoded JSON body and returns ``(events, problems)``: a list of dicts
with the fields of ``Event`` (minus the bookkeeping ones) and a list of messages. Unknown
fields are ignored, as the senders' own specifications ask.
"""

import hashlib
import json
import uuid
from datetime import datetime, timedelta

from opsdesk.events.models import Action, Classification, Severity

MAX_SUMMARY = 1024
# Alertmanager's resolve_timeout: an alert Prometheus stops re-sending clears after this.
RESOLVE_TIMEOUT = timedelta(minutes=5)
UNSET_TIME_PREFIX = "0001-01-01"  # Alertmanager's "no end time"

# Per-format severity tables: what the sender says -> our severity.
GENERIC_SEVERITY = {
    **{s: s for s in Severity.values},
    "error": Severity.MAJOR,
    "high": Severity.MAJOR,
    "medium": Severity.MINOR,
    "low": Severity.MINOR,
    "warn": Severity.WARNING,
    "information": Severity.INFO,
    "informational": Severity.INFO,
    "clear": Severity.OK,
}
PROMETHEUS_SEVERITY = {
    **GENERIC_SEVERITY,
    "page": Severity.CRITICAL,
    "none": Severity.INFO,
}
PAGERDUTY_SEVERITY = {
    "critical": Severity.CRITICAL,
    "error": Severity.MAJOR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
}
CLASSIFICATION = {
    Severity.CRITICAL: Classification.EXCEPTION,
    Severity.MAJOR: Classification.EXCEPTION,
    Severity.MINOR: Classification.EXCEPTION,
    Severity.WARNING: Classification.WARNING,
    Severity.INFO: Classification.INFORMATIONAL,
    Severity.OK: Classification.INFORMATIONAL,
}


def parse_time(value, problems: list, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        problems.append(f"{where}: expected an ISO 8601 time.")
        return None
    if value.startswith(UNSET_TIME_PREFIX):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems.append(f"{where}: {value!r} is not an ISO 8601 time.")
        return None
    if parsed.tzinfo is None:
        problems.append(f"{where}: the time needs a time zone.")
        return None
    return parsed


def text_labels(value, problems: list, where: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object of label names to values.")
        return {}
    return {
        str(k): v if isinstance(v, str) else json.dumps(v)
        for k, v in value.items()
        if v is not None
    }


def labels_fingerprint(labels: dict, identity: list[str] | None = None) -> str:
    chosen = {k: labels.get(k, "") for k in identity} if identity else labels
    blob = json.dumps(chosen, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def host_of(instance: str) -> str:
    """``web-03:9100`` -> ``web-03``: the instance name a CI is called by."""
    if instance.count(":") == 1:
        return instance.split(":", 1)[0]
    return instance


def _event(*, severity, labels, identity, fingerprint="", **fields) -> dict:
    event = {
        "severity": severity,
        "classification": CLASSIFICATION[severity],
        "labels": labels,
        "fingerprint": (fingerprint or labels_fingerprint(labels, identity))[:255],
        "occurred_at": None,
        "ends_at": None,
        "action": Action.TRIGGER,
        "resource": "",
        "check_name": "",
        "summary": "",
        "description": "",
        "group_key": "",
        "links": [],
    }
    event.update(fields)
    for name in ("resource", "check_name", "group_key"):
        event[name] = str(event[name] or "")[:255]
    event["summary"] = str(event["summary"] or "")[:MAX_SUMMARY]
    return event


def read_generic(body, *, identity=None) -> tuple[list[dict], list[str]]:
    """One event object or an array of them (see the OpenAPI schema for the fields)."""
    items = body if isinstance(body, list) else [body]
    if not items:
        return [], ["Send at least one event."]
    events, problems = [], []
    for n, item in enumerate(items):
        where = f"[{n}]" if isinstance(body, list) else "body"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object.")
            continue
        found = []
        summary = item.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            found.append(f"{where}.summary: this field is required.")
        elif len(summary) > MAX_SUMMARY:
            found.append(f"{where}.summary: at most {MAX_SUMMARY} characters.")
        severity = GENERIC_SEVERITY.get(str(item.get("severity", "warning")).lower())
        if severity is None:
            found.append(f"{where}.severity: use one of {', '.join(Severity.values)}.")
        action = item.get("action", Action.TRIGGER)
        if action not in Action.values:
            found.append(f"{where}.action: use one of {', '.join(Action.values)}.")
        labels = text_labels(item.get("labels"), found, f"{where}.labels")
        occurred = parse_time(item.get("occurred_at"), found, f"{where}.occurred_at")
        links = item.get("links", [])
        if not isinstance(links, list):
            found.append(f"{where}.links: expected a list.")
        problems.extend(found)
        if found:
            continue
        key = item.get("dedup_key") or item.get("fingerprint")
        if not key and not labels:
            # Nothing identifies it but what it says: without this every unlabelled event
            # would share the fingerprint of the empty label set and merge into one alert.
            key = labels_fingerprint(
                {
                    "resource": str(item.get("resource", "")),
                    "check": str(item.get("check", "")),
                    "summary": summary,
                }
            )
        events.append(
            _event(
                severity=Severity.OK if action == Action.RESOLVE else severity,
                labels=labels,
                identity=identity,
                fingerprint=str(key) if key else "",
                action=action,
                occurred_at=occurred,
                resource=item.get("resource", ""),
                check_name=item.get("check", ""),
                summary=summary,
                description=str(item.get("description", "")),
                group_key=item.get("group_key", ""),
                links=links,
                payload=item,
            )
        )
    if not events and not problems:
        problems.append("Send at least one event.")
    return events, problems


def _prometheus_alert(alert, where, problems, *, identity, now, group_key="", webhook=False):
    if not isinstance(alert, dict):
        problems.append(f"{where}: expected an object.")
        return None
    found = []
    labels = text_labels(alert.get("labels"), found, f"{where}.labels")
    if not labels.get("alertname"):
        found.append(f"{where}.labels.alertname: this label is required.")
    annotations = text_labels(alert.get("annotations"), found, f"{where}.annotations")
    starts = parse_time(alert.get("startsAt"), found, f"{where}.startsAt")
    ends = parse_time(alert.get("endsAt"), found, f"{where}.endsAt")
    status = alert.get("status", "firing")
    if webhook and status not in ("firing", "resolved"):
        found.append(f"{where}.status: use firing or resolved.")
    problems.extend(found)
    if found:
        return None
    resolved = status == "resolved" or (ends is not None and ends <= now)
    severity = PROMETHEUS_SEVERITY.get(labels.get("severity", "").lower(), Severity.WARNING)
    links = [
        {"href": alert[key], "text": text}
        for key, text in (
            ("generatorURL", "Source"),
            ("dashboardURL", "Dashboard"),
            ("panelURL", "Panel"),
            ("silenceURL", "Silence"),
        )
        if isinstance(alert.get(key), str) and alert[key]
    ]
    return _event(
        severity=Severity.OK if resolved else severity,
        labels=labels,
        identity=identity,
        fingerprint=str(alert.get("fingerprint") or "") if webhook else "",
        action=Action.RESOLVE if resolved else Action.TRIGGER,
        occurred_at=starts,
        ends_at=ends,
        resource=host_of(labels.get("instance", "")),
        check_name=labels["alertname"],
        summary=annotations.get("summary") or annotations.get("message") or labels["alertname"],
        description=annotations.get("description", ""),
        group_key=group_key,
        links=links,
        payload=alert,
    )


def read_alertmanager(body, *, identity=None, now) -> tuple[list[dict], list[str]]:
    """Alertmanager webhook version 4, and Grafana's variant of it."""
    if not isinstance(body, dict):
        return [], ["body: expected the Alertmanager webhook object."]
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        return [], ["alerts: a non-empty list of alerts is required."]
    events, problems = [], []
    group_key = str(body.get("groupKey") or "")
    for n, alert in enumerate(alerts):
        event = _prometheus_alert(
            alert,
            f"alerts[{n}]",
            problems,
            identity=identity,
            now=now,
            group_key=group_key,
            webhook=True,
        )
        if event:
            events.append(event)
    return events, problems


def read_prometheus(body, *, identity=None, now) -> tuple[list[dict], list[str]]:
    """Alertmanager's own API, ``POST /api/v2/alerts``: what Prometheus sends."""
    if not isinstance(body, list) or not body:
        return [], ["body: expected a non-empty JSON array of alerts."]
    events, problems = [], []
    for n, alert in enumerate(body):
        event = _prometheus_alert(alert, f"[{n}]", problems, identity=identity, now=now)
        if event and event["ends_at"] is None and event["action"] == Action.TRIGGER:
            event["ends_at"] = now + RESOLVE_TIMEOUT
        if event:
            events.append(event)
    return events, problems


def read_pagerduty(body) -> tuple[list[dict], list[str]]:
    """PagerDuty Events API v2; a trigger without ``dedup_key`` gets one."""
    if not isinstance(body, dict):
        return [], ["Event object is invalid"]
    problems = []
    action = body.get("event_action")
    if action in (None, ""):
        problems.append("'event_action' is missing or blank")
    elif action not in Action.values:
        problems.append(f"'event_action' must be one of {', '.join(Action.values)}")
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        problems.append("'dedup_key' must be a string of at most 255 characters")
    payload = body.get("payload")
    summary = severity = source = ""
    occurred = None
    labels: dict = {}
    if action == Action.TRIGGER:
        if not isinstance(payload, dict):
            problems.append("'payload' is missing or not an object")
            payload = {}
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            problems.append("'payload.summary' is missing or blank")
        elif len(summary) > MAX_SUMMARY:
            problems.append(f"'payload.summary' must be at most {MAX_SUMMARY} characters")
        source = payload.get("source")
        if not isinstance(source, str) or not source.strip():
            problems.append("'payload.source' is missing or blank")
        severity = PAGERDUTY_SEVERITY.get(payload.get("severity"))
        if severity is None:
            problems.append("'payload.severity' must be one of critical, error, warning, info")
        occurred = parse_time(payload.get("timestamp"), problems, "'payload.timestamp'")
        details = payload.get("custom_details")
        labels = text_labels(details if isinstance(details, dict) else {}, problems, "details")
        for key in ("component", "group", "class"):
            if isinstance(payload.get(key), str):
                labels[key] = payload[key]
    elif not dedup_key and action in Action.values:
        problems.append("'dedup_key' is required for acknowledge and resolve")
    if problems:
        return [], problems
    dedup_key = dedup_key or uuid.uuid4().hex
    if action != Action.TRIGGER:
        severity = Severity.OK if action == Action.RESOLVE else Severity.INFO
    links = body.get("links") if isinstance(body.get("links"), list) else []
    event = _event(
        severity=severity,
        labels=labels,
        identity=None,
        fingerprint=dedup_key,
        action=action,
        occurred_at=occurred,
        resource=source,
        check_name=str(labels.get("class", "")),
        summary=summary,
        description="",
        group_key=str(labels.get("group", "")),
        links=[link for link in links if isinstance(link, dict)],
        payload=body,
    )
    return [event], []
