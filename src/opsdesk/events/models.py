"""Event management records: integrations, raw events, alerts, rules, maintenance, heartbeats.

An *event* is one message from a monitoring tool, stored raw and normalised the moment it is
accepted. Processing turns events into *alerts*: one per fingerprint while it is active.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from opsdesk.core.models import Team
from opsdesk.core.models.base import TimestampedModel, VersionedModel


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_secret() -> str:
    # 32 characters, the length of a PagerDuty routing key, so PagerDuty clients accept it.
    return secrets.token_hex(16)


def hash_secret(secret: str) -> str:
    # The secret is 128 random bits: a fast hash is enough and keeps ingest lookups cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


class Format(models.TextChoices):
    GENERIC = "generic", "Generic JSON"
    ALERTMANAGER = "alertmanager", "Alertmanager webhook"
    PROMETHEUS = "prometheus", "Prometheus (Alertmanager API)"
    PAGERDUTY = "pagerduty", "PagerDuty Events v2"
    HEARTBEAT = "heartbeat", "Heartbeat"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"
    OK = "ok", "OK"


# Lower is worse: used to keep the highest severity an alert reached.
SEVERITY_RANK = {s: i for i, s in enumerate(Severity.values)}


class Action(models.TextChoices):
    TRIGGER = "trigger", "Trigger"
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"


class Classification(models.TextChoices):
    INFORMATIONAL = "informational", "Informational"
    WARNING = "warning", "Warning"
    EXCEPTION = "exception", "Exception"


class Integration(TimestampedModel, VersionedModel):
    """A monitoring tool that sends us events, with its own URL and secret."""

    name = models.CharField(max_length=100, unique=True)
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.GENERIC)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=600_000, help_text="Events accepted per minute before answering 429."
    )
    identity_labels = models.JSONField(
        default=list,
        blank=True,
        help_text="Labels whose values identify an alert when the sender gives no fingerprint.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if not isinstance(self.identity_labels, list) or not all(
            isinstance(x, str) for x in self.identity_labels
        ):
            raise ValidationError({"identity_labels": "Give a list of label names."})


class RateWindow(models.Model):
    """Events counted per integration per minute, when no shared cache (Redis) is configured.

    Each web process has its own memory cache; counting there would let every process take
    the whole rate. This row is the count all processes share.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    minute = models.BigIntegerField(help_text="Minutes since the epoch.")
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "minute"], name="events_one_rate_window_per_minute"
            )
        ]

    def __str__(self):
        return f"{self.integration_id}@{self.minute}: {self.used}"


class EventState(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    SUPPRESSED = "suppressed", "Suppressed"
    DROPPED = "dropped", "Dropped"


class Event(models.Model):
    """One message from a monitoring tool: raw payload and its normalised reading."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="events")
    # Retries of one delivery share this key; the unique constraint makes them harmless.
    delivery_key = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(db_index=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(max_length=255)
    action = models.CharField(max_length=12, choices=Action.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    classification = models.CharField(max_length=15, choices=Classification.choices)
    resource = models.CharField(max_length=255, blank=True)
    check_name = models.CharField(max_length=255, blank=True)
    summary = models.CharField(max_length=1024, blank=True)
    description = models.TextField(blank=True)
    group_key = models.CharField(max_length=255, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=EventState.choices, default=EventState.PENDING)
    processed_at = models.DateTimeField(null=True, blank=True)
    alert = models.ForeignKey(
        "Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="events_event_pending", condition=Q(state="pending")),
        ]

    def __str__(self):
        return f"{self.action} {self.fingerprint} ({self.severity})"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    SUPPRESSED = "suppressed", "Suppressed"


ACTIVE_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SUPPRESSED)


class Alert(models.Model):
    """What is wrong right now: one per fingerprint while active, kept after it clears."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=255)
    status = models.CharField(max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    highest_severity = models.CharField(max_length=10, choices=Severity.choices)
    classification = models.CharField(max_length=15, choices=Classification.choices)
    resource = models.CharField(max_length=255, blank=True)
    check_name = models.CharField(max_length=255, blank=True)
    summary = models.CharField(max_length=1024, blank=True)
    description = models.TextField(blank=True)
    group_key = models.CharField(max_length=255, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=1)
    # Alerts from senders that only re-send while firing clear themselves after this time.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        verbose_name="CI",
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_alerts",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The actions of the rules that matched when it opened, for flows to act on.
    actions = models.JSONField(default=dict, blank=True)
    suppressed_by = models.CharField(max_length=200, blank=True)
    state_changes = models.JSONField(default=list, blank=True)
    flapping = models.BooleanField(default=False)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=Q(status__in=["open", "acknowledged", "suppressed"]),
                name="events_one_active_alert_per_fingerprint",
            )
        ]
        indexes = [
            models.Index(fields=["status", "severity"]),
            # Processing finds each event's alert, active or cleared moments ago, by these:
            # without it every batch read all active alerts through the status index.
            models.Index(fields=["integration", "fingerprint"], name="events_alert_fingerprint"),
            # Reporting's noise figures count the alerts first seen in a period.
            models.Index(fields=["first_seen"], name="events_alert_first_seen"),
        ]

    def __str__(self):
        return self.summary or self.fingerprint

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_ALERT_STATUSES


class Rule(TimestampedModel, VersionedModel):
    """If an event matches ``conditions``, apply ``actions``; rules run in ``order``."""

    name = models.CharField(max_length=100)
    order = models.PositiveIntegerField(default=100, db_index=True)
    active = models.BooleanField(default=True)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=dict)
    stop = models.BooleanField(default=False, help_text="Later rules are not tried after this.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        from opsdesk.events.rules import validate_actions, validate_conditions

        errors = {}
        if problems := validate_conditions(self.conditions):
            errors["conditions"] = problems
        if problems := validate_actions(self.actions):
            errors["actions"] = problems
        if errors:
            raise ValidationError(errors)


class MaintenanceWindow(TimestampedModel, VersionedModel):
    """Planned work: matching events are kept but suppressed and open no incident."""

    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    weekly = models.BooleanField(default=False, help_text="Repeat every week at the same time.")
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="maintenance_windows", verbose_name="CIs"
    )
    label_matchers = models.JSONField(
        default=dict, blank=True, help_text='Labels that must all match, e.g. {"env": "staging"}.'
    )
    reminded_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The window must end after it starts."
        span = (self.ends_at - self.starts_at) if self.starts_at and self.ends_at else None
        if self.weekly and span is not None and span.days >= 7:
            errors["ends_at"] = "A weekly window must be shorter than a week."
        if not isinstance(self.label_matchers, dict) or not all(
            isinstance(v, str) for v in self.label_matchers.values()
        ):
            errors["label_matchers"] = "Give an object of label names to values."
        if errors:
            raise ValidationError(errors)


class HeartbeatStatus(models.TextChoices):
    NEW = "new", "Waiting for first check-in"
    UP = "up", "Up"
    RUNNING = "running", "Running"
    DOWN = "down", "Down"
    PAUSED = "paused", "Paused"


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a usable five-field cron expression, or None when it is."""
    if len(expression.split()) != 5:
        return "Use five fields: minute, hour, day of month, month, day of week."
    try:
        next(CronSim(expression, datetime.now(UTC)))
    except CronSimError as error:
        return f"Not a valid cron expression: {error}"
    except StopIteration:
        return "This cron expression never fires."
    return None


def timezone_problem(name: str) -> str | None:
    """Why ``name`` is not a known IANA time zone (e.g. ``Europe/London``), or None."""
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return f"Unknown time zone “{name}”; use a name such as Europe/London or UTC."
    return None


def _every(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {count} {unit}{'' if count == 1 else 's'}"
    return f"every {seconds} seconds"


class Heartbeat(TimestampedModel, VersionedModel):
    """A scheduled job (backup, batch, transfer) that must check in on its schedule.

    The schedule is either a fixed interval or, when ``cron`` is set, a cron expression read in
    ``timezone``; a check-in is missed ``grace_seconds`` after it was due.
    """

    name = models.CharField(max_length=200, unique=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="heartbeats"
    )
    interval_seconds = models.PositiveIntegerField(default=86400)
    grace_seconds = models.PositiveIntegerField(default=3600)
    cron = models.CharField(
        max_length=100,
        blank=True,
        help_text="Five-field cron expression, e.g. '30 2 * * 1-5'; when set it replaces the "
        "interval.",
    )
    timezone = models.CharField(
        max_length=64, default="UTC", help_text="Time zone the cron expression is read in."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=HeartbeatStatus.choices, default=HeartbeatStatus.NEW
    )
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_duration_seconds = models.FloatField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        self.cron = " ".join((self.cron or "").split())
        self.timezone = (self.timezone or "").strip()
        if self.cron:
            if problem := cron_problem(self.cron):
                errors["cron"] = problem
        elif self.interval_seconds is not None and self.interval_seconds < 60:
            errors["interval_seconds"] = "Use an interval of at least 60 seconds."
        if problem := timezone_problem(self.timezone):
            errors["timezone"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def fingerprint(self) -> str:
        return f"heartbeat:{self.pk}"

    @property
    def schedule(self) -> str:
        """The schedule in words: "every 1 day" or "cron '30 2 * * 1-5' (Europe/London)"."""
        if self.cron:
            return f"cron '{self.cron}' ({self.timezone})"
        return _every(self.interval_seconds)

    def next_due(self, after: datetime) -> datetime:
        """When the check-in following ``after`` is due, before the grace period.

        With cron it is the next fire time after ``after``, found in the heartbeat's time zone
        so that "02:30 every weekday" stays 02:30 local time across daylight-saving changes.
        """
        if not self.cron:
            return after + timedelta(seconds=self.interval_seconds)
        local = after.astimezone(ZoneInfo(self.timezone))
        return next(CronSim(self.cron, local)).astimezone(UTC)


class CheckInKind(models.TextChoices):
    START = "start", "Started"
    SUCCESS = "success", "Succeeded"
    FAIL = "fail", "Failed"
    MISSED = "missed", "Missed"


class HeartbeatCheckIn(models.Model):
    heartbeat = models.ForeignKey(Heartbeat, on_delete=models.CASCADE, related_name="check_ins")
    kind = models.CharField(max_length=10, choices=CheckInKind.choices)
    at = models.DateTimeField(db_index=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    message = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.heartbeat} {self.kind} at {self.at:%Y-%m-%d %H:%M}"
