from django.contrib.contenttypes.models import ContentType
from django.db import models

from opsdesk.core.models import Team
from opsdesk.sla.models.calendars import BusinessCalendar
from opsdesk.sla.models.policies import SlaPolicy


class TimerKind(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"
    OLA = "ola", "OLA (assignment group)"


class TimerState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATES = (TimerState.RUNNING, TimerState.PAUSED)


class SlaTimer(models.Model):
    """One clock on one record: a response, resolution or assignment-group (OLA) target.

    Business time is kept as ``elapsed`` up to the checkpoint ``elapsed_at``; while running,
    the clock adds the business time since then. ``due_at`` is when the target will be used
    up if nothing pauses it (empty while paused). ``breached_at`` is set the moment the target
    runs out, even if the clock keeps running until the record is resolved.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    record_type = models.CharField(max_length=50)
    cycle = models.PositiveIntegerField(default=1, help_text="Counts reopenings of the record.")
    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="timers")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    target = models.DurationField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=TimerState.choices)
    started_at = models.DateTimeField()
    elapsed = models.DurationField()
    elapsed_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    warned_threshold = models.PositiveSmallIntegerField(default=0)
    # The next warning or breach instant the periodic check looks for; empty when idle.
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "cycle"]),
            models.Index(fields=["state", "next_check_at"]),
            # Reporting's compliance counts clocks stopped in a period.
            models.Index(fields=["stopped_at", "kind"], name="timer_stopped"),
        ]

    def __str__(self):
        label = self.get_kind_display()
        if self.kind == TimerKind.OLA and self.team_id:
            label = f"OLA {self.team}"
        return f"{label} on {self.record_type} {self.object_id}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class TimerEventKind(models.TextChoices):
    STARTED = "started", "Started"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    RETARGETED = "retargeted", "Re-targeted"
    WARNING = "warning", "Warning"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
    CANCELLED = "cancelled", "Cancelled"


class TimerEvent(models.Model):
    """One line of a timer's history: what happened, when, why, and the due time it left."""

    timer = models.ForeignKey(SlaTimer, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=TimerEventKind.choices)
    reason = models.CharField(max_length=200, blank=True)
    elapsed = models.DurationField()
    due_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
