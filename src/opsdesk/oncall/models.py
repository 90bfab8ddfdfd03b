"""On-call schedules (layers of rotations, overrides) and escalation policies per team."""

import re
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.models import Team
from opsdesk.core.models.base import TimestampedModel, VersionedModel
from opsdesk.core.models.users import TIME_ZONE_CHOICES

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class TurnLength(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    CUSTOM = "custom", "Custom length"


class Schedule(TimestampedModel, VersionedModel):
    """A team's on-call rota: layers of rotations, higher layers over lower ones."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="oncall_schedules")
    name = models.CharField(max_length=100)
    time_zone = models.CharField(
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="Europe/London",
        help_text="The zone the calendar view and feeds show days in.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="oncall_schedule_unique_name")
        ]

    def __str__(self):
        return f"{self.team.name}: {self.name}"


def restriction_errors(value) -> list[str]:
    """Why a restrictions list is malformed; empty when it is fine.

    Each restriction is ``{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}`` with Monday
    as 0; ``end`` not later than ``start`` means the window runs into the next day.
    """
    if not isinstance(value, list):
        return ["Give a list of restrictions."]
    errors = []
    for index, item in enumerate(value):
        where = f"Restriction {index + 1}"
        if not isinstance(item, dict) or set(item) != {"days", "start", "end"}:
            errors.append(f'{where}: use {{"days": [0-6], "start": "HH:MM", "end": "HH:MM"}}.')
            continue
        days = item["days"]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days)
        ):
            errors.append(f"{where}: days are weekday numbers 0 (Monday) to 6 (Sunday).")
        for key in ("start", "end"):
            if not isinstance(item[key], str) or not _CLOCK.match(item[key]):
                errors.append(f"{where}: {key} must be a time like 18:00.")
    return errors


def parse_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class Layer(TimestampedModel):
    """One rotation: participants in order take turns of a fixed length."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(
        default=1, help_text="Higher layers override lower ones where both have someone on call."
    )
    turn = models.CharField(max_length=10, choices=TurnLength.choices, default=TurnLength.WEEKLY)
    turn_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Length of one turn, for custom turn lengths."
    )
    handoff_time = models.TimeField(
        default=time(9, 0), help_text="Local time of the handoff, for daily and weekly turns."
    )
    rotation_start = models.DateTimeField(
        help_text="When the first participant's first turn starts; weekly turns hand off on "
        "this weekday."
    )
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/London")
    restrictions = models.JSONField(
        default=list,
        blank=True,
        help_text='Only on call inside these windows, e.g. [{"days": [0,1,2,3,4], '
        '"start": "18:00", "end": "08:00"}]; outside them the layer below answers.',
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="LayerParticipant", related_name="+"
    )

    class Meta:
        ordering = ["schedule", "-priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "priority"], name="oncall_layer_unique_priority"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.turn == TurnLength.CUSTOM and not self.turn_seconds:
            errors["turn_seconds"] = ["A custom turn needs its length in seconds."]
        elif self.turn_seconds is not None and self.turn_seconds < 300:
            errors["turn_seconds"] = ["A turn lasts at least 5 minutes (300 seconds)."]
        problems = restriction_errors(self.restrictions)
        if problems:
            errors["restrictions"] = problems
        if errors:
            raise ValidationError(errors)


class LayerParticipant(models.Model):
    """A place in a layer's rotation; the same person may appear more than once."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="places")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "position"], name="oncall_participant_unique_position"
            )
        ]

    def __str__(self):
        return f"{self.position + 1}. {self.user}"


class Override(TimestampedModel, VersionedModel):
    """Someone covers a span of a schedule, whatever its layers say."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_overrides"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["schedule", "end"], name="oncall_override_sched_end")]

    def __str__(self):
        return f"{self.user} covers {self.schedule.name}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": ["The override must end after it starts."]})


class EscalationPolicy(TimestampedModel, VersionedModel):
    """Who is paged, in which order, and how long each step waits before the next."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    name = models.CharField(max_length=100)
    repeat = models.PositiveSmallIntegerField(
        default=0, help_text="How many more times to walk the steps after the last one."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["team__name", "name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="oncall_policy_unique_name")
        ]

    def __str__(self):
        return f"{self.team.name}: {self.name}"

    def clean(self):
        if self.repeat is not None and self.repeat > 9:
            raise ValidationError({"repeat": ["Repeat at most 9 times."]})


class StepTarget(models.TextChoices):
    TEAM_ON_CALL = "team_on_call", "On-call of a team"
    USER = "user", "A named person"
    TEAM_LEAD = "team_lead", "The team lead"


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    target = models.CharField(max_length=20, choices=StepTarget.choices)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="For on-call and team-lead steps; empty means the policy's own team.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    delay_minutes = models.PositiveIntegerField(
        default=15, help_text="Minutes to wait for an acknowledgement before the next step."
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"], name="oncall_step_unique_position"
            )
        ]

    def __str__(self):
        return f"{self.position + 1}. {self.get_target_display()}"

    def clean(self):
        if self.target == StepTarget.USER and self.user_id is None:
            raise ValidationError({"user": ["Name the person this step notifies."]})
        if self.delay_minutes is not None and not 1 <= self.delay_minutes <= 1440:
            raise ValidationError({"delay_minutes": ["Wait between 1 and 1440 minutes."]})


class FeedToken(models.Model):
    """The secret in a person's calendar-feed links; only its SHA-256 is kept."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_feed_token"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"
