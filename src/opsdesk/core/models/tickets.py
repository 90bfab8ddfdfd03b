"""What every ticket has, its typed history, and the task: the ticket platform's tables.

Incidents, problems, requests, request items, access requests and tasks are tickets. Each
concrete ticket model inherits ``Ticket`` and declares itself in ``core.tickets.registry``;
the platform's services (``core.tickets.services``) then number, assign, watch, comment,
acknowledge and move it, and write a ``TicketHistory`` row for every change metrics read.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from opsdesk.core.models.base import NumberedModel, TimestampedModel, VersionedModel


class TicketPriority(models.IntegerChoices):
    P1 = 1, "P1 - Critical"
    P2 = 2, "P2 - High"
    P3 = 3, "P3 - Moderate"
    P4 = 4, "P4 - Low"
    P5 = 5, "P5 - Planning"


# A task is worked within its parent's day: P1 to P4 (the API schema names them TaskPriority).
TASK_PRIORITY_CHOICES = TicketPriority.choices[:4]


class Ticket(TimestampedModel, VersionedModel, NumberedModel):
    """The fields every ticket has. A record type may override a field (choices, default)."""

    short_description = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Who raised it, and who it is for (a manager asking on behalf of a new starter).
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_called",
    )
    requested_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(app_label)s_%(class)s_requested_for",
    )
    state = models.CharField(max_length=20)
    priority = models.PositiveSmallIntegerField(
        choices=TicketPriority.choices, default=TicketPriority.P4
    )
    assignment_group = models.ForeignKey(
        "core.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_assigned",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(app_label)s_%(class)s_assigned",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="%(app_label)s_%(class)s_watched"
    )
    confidential = models.BooleanField(default=False)

    # Metric timestamps: each is written once, at the moment it first happens.
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_assigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)  # the latest resolution
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class HistoryChange(models.TextChoices):
    """What a history row records: a field that changed, or a milestone that happened."""

    OPENED = "opened", "Opened"
    STATE = "state", "State"
    ASSIGNMENT_GROUP = "assignment_group", "Assignment group"
    ASSIGNEE = "assignee", "Assignee"
    PRIORITY = "priority", "Priority"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    FIRST_PUBLIC_REPLY = "first_public_reply", "First public reply"
    SLA_PAUSED = "sla_paused", "SLA paused"
    SLA_RESUMED = "sla_resumed", "SLA resumed"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"


class TicketHistory(models.Model):
    """One typed row per change of state, group, assignee or priority, and per milestone.

    Reporting computes MTTA, first response, OLA shares and pauses from these rows with plain
    indexed queries. ``group``, ``assignee`` and ``priority`` are the ticket's values just
    after the change, so "time with each group" is a window over one record's rows.
    """

    record_type = models.CharField(max_length=30)  # the registry's key: "incident", "task"
    record_id = models.PositiveBigIntegerField()
    change = models.CharField(max_length=20, choices=HistoryChange.choices)
    from_value = models.CharField(max_length=64, blank=True)
    to_value = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "ticket history"
        indexes = [
            models.Index(fields=["record_type", "record_id", "at"], name="history_record"),
            models.Index(fields=["record_type", "change", "at"], name="history_change"),
            models.Index(fields=["group", "change", "at"], name="history_group"),
        ]

    def __str__(self):
        change = f"{self.change} {self.from_value} → {self.to_value}"
        return f"{self.record_type} {self.record_id}: {change}"


class TaskState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    CLOSED_COMPLETE = "closed_complete", "Closed complete"
    CLOSED_INCOMPLETE = "closed_incomplete", "Closed incomplete"
    CANCELLED = "cancelled", "Cancelled"


TASK_OPEN_STATES = (TaskState.OPEN, TaskState.IN_PROGRESS, TaskState.ON_HOLD)


class Task(Ticket):
    """A piece of work under any registered ticket: fulfilling a request item, provisioning
    access, investigating a problem. One queue, one clock and one history for all of them."""

    NUMBER_PREFIX = "TASK"

    parent_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    parent_id = models.PositiveBigIntegerField()
    # The ticket itself; lists prefetch it (``prefetch_related("parent")``), a query per type.
    parent = GenericForeignKey("parent_type", "parent_id")
    state = models.CharField(max_length=20, choices=TaskState.choices, default=TaskState.OPEN)
    # A task is worked within its parent's day; P5 (planning) belongs to the parent.
    priority = models.PositiveSmallIntegerField(
        choices=TASK_PRIORITY_CHOICES, default=TicketPriority.P4
    )
    due_at = models.DateTimeField(null=True, blank=True)
    work_notes_summary = models.TextField(blank=True, help_text="What was done, on closing.")

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["parent_type", "parent_id"], name="task_parent"),
            models.Index(
                fields=["assignment_group", "-opened_at", "-id"],
                condition=Q(state__in=["open", "in_progress", "on_hold"]),
                name="task_group_open",
            ),
            models.Index(fields=["assignee", "state"], name="task_assignee"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="core_task_priority_1_to_4"
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in TASK_OPEN_STATES
