"""The incident record and the configuration incident management runs on.

Configuration (categories, resolution codes, the priority matrix, assignment rules) is data an
administrator edits; the incident keeps every timestamp the service-operation metrics need.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

# Saved queue filters live in core, keyed by record type; the name stays importable here.
from opsdesk.core.models import (
    SavedFilter,  # noqa: F401
    Team,
    Ticket,
    TimestampedModel,
    VersionedModel,
)
from opsdesk.core.tickets.registry import default_visible_to


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    API = "api", "API"
    EVENT = "event", "Event"
    WALK_IN = "walk_in", "Walk-in"
    CHAT = "chat", "Chat"


class State(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = (State.NEW, State.IN_PROGRESS, State.ON_HOLD)


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", "Awaiting caller"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"
    AWAITING_PROBLEM_FIX = "awaiting_problem_fix", "Awaiting problem fix"


class Impact(models.IntegerChoices):
    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class Urgency(models.IntegerChoices):
    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 - Critical"
    P2 = 2, "P2 - High"
    P3 = 3, "P3 - Moderate"
    P4 = 4, "P4 - Low"
    P5 = 5, "P5 - Planning"


class AutoAssign(models.TextChoices):
    NONE = "", "Group only"
    ROUND_ROBIN = "round_robin", "Round-robin"
    LEAST_LOADED = "least_loaded", "Least loaded"


class Category(models.Model):
    """A node of the category tree; a child is a subcategory of its parent."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="incidents_category_unique_name",
                violation_error_message="This category already has a child with this name.",
            ),
        ]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class ResolutionCode(models.Model):
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class PriorityMatrixRow(models.Model):
    """One cell of the impact x urgency matrix."""

    impact = models.PositiveSmallIntegerField(choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = "priority matrix cell"
        constraints = [
            models.UniqueConstraint(
                fields=["impact", "urgency"],
                name="incidents_matrix_unique_cell",
                violation_error_message="This impact and urgency already have a priority.",
            ),
        ]

    def __str__(self):
        return f"impact {self.impact} x urgency {self.urgency} -> P{self.priority}"


class AssignmentRule(models.Model):
    """Ordered matching: the first active rule whose every set condition matches wins."""

    name = models.CharField(max_length=100)
    order = models.PositiveIntegerField(default=100, db_index=True)
    active = models.BooleanField(default=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    caller_department = models.CharField(max_length=100, blank=True)
    keywords = models.CharField(
        max_length=500, blank=True, help_text="Comma-separated; any one in the text matches."
    )
    assignment_group = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    auto_assign = models.CharField(
        max_length=20, choices=AutoAssign.choices, blank=True, default=AutoAssign.NONE
    )
    # Where round-robin left off, so the next incident goes to the next member.
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.name

    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.split(",") if k.strip()]


class Incident(Ticket):
    """A ticket on the platform (``core.models.Ticket`` holds what every ticket has); here is
    what only an incident has: channel, classification, CMDB links, impact and urgency."""

    NUMBER_PREFIX = "INC"

    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_opened",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    subcategory = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="sub_incidents"
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_incidents",
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name="CI",
    )
    affected_services = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="affecting_incidents"
    )
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.LOW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P5)
    priority_overridden = models.BooleanField(default=False)
    priority_override_reason = models.CharField(max_length=500, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    hold_reason = models.CharField(max_length=30, choices=HoldReason.choices, blank=True)
    resolution_code = models.ForeignKey(
        ResolutionCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_notes = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )

    # Metric timestamps beyond the platform's (opened, first response, acknowledged, first
    # assigned, resolved, closed).
    first_resolved_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    # Major incident.
    is_major = models.BooleanField(default=False)
    major_proposed = models.BooleanField(default=False)
    major_incident_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="major_incidents_managed",
    )
    major_declared_at = models.DateTimeField(null=True, blank=True)
    major_ended_at = models.DateTimeField(null=True, blank=True)
    update_cadence_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_update_due = models.DateTimeField(null=True, blank=True)
    # The due time a reminder was last sent for, so the reminder goes out once per update.
    update_reminded_for = models.DateTimeField(null=True, blank=True)
    major_summary = models.TextField(blank=True)
    outage_start = models.DateTimeField(null=True, blank=True)
    outage_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="inc_opened"),
            models.Index(fields=["state", "-opened_at", "-id"], name="inc_state_opened"),
            models.Index(
                fields=["assignment_group", "state", "-opened_at", "-id"], name="inc_group_state"
            ),
            models.Index(fields=["assignee", "state", "-opened_at", "-id"], name="inc_assignee"),
            models.Index(fields=["caller", "-opened_at"], name="inc_caller"),
            # The open backlog in queue order, for the API list and any page of "all open"
            # and "my teams' unassigned" (docs/benchmarks.md).
            models.Index(
                fields=["-opened_at", "-id"],
                condition=Q(state__in=["new", "in_progress", "on_hold"]),
                name="inc_open_opened",
            ),
            models.Index(
                fields=["assignment_group", "-opened_at", "-id"],
                condition=Q(assignee__isnull=True, state__in=["new", "in_progress", "on_hold"]),
                name="inc_group_unassigned",
            ),
            models.Index(
                fields=["-opened_at", "-id"],
                condition=Q(is_major=True),
                name="inc_major",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="incidents_priority_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(outage_end__isnull=True)
                | Q(outage_start__isnull=True)
                | Q(outage_end__gte=models.F("outage_start")),
                name="incidents_outage_window_ordered",
                violation_error_message="The outage cannot end before it starts.",
            ),
        ]

    def clean(self):
        if self.subcategory_id and self.subcategory.parent_id != self.category_id:
            raise ValidationError({"subcategory": "Pick a subcategory of the chosen category."})
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": "An incident cannot be its own parent."})

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_visible_to(self, user) -> bool:
        """Requesters see what they called in, is for them, or they watch; agents all but
        confidential ones, which only administrators, the assignment group, the assignee and
        the caller see: being added as a watcher (or merged in) opens nothing. The ticket
        platform's rule for every record type."""
        return default_visible_to(self, user)


class PostIncidentReview(TimestampedModel, VersionedModel):
    """What a major incident taught us; problem management picks it up from here."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        COMPLETED = "completed", "Completed"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    timeline = models.TextField(blank=True)
    root_cause = models.TextField(blank=True, help_text="Pointer to the cause or the problem.")
    follow_up_actions = models.TextField(blank=True)
    outage_start = models.DateTimeField()
    outage_end = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Review of {self.incident}"


class PageStatus(models.TextChoices):
    PAGING = "paging", "Paging"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    EXHAUSTED = "exhausted", "Nobody answered"
    STOPPED = "stopped", "Stopped"


class Page(models.Model):
    """Paging an incident's assignment group: walks the group's escalation policy until
    someone acknowledges, the policy runs out, or the incident is resolved."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pages")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(
        "oncall.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=100)
    status = models.CharField(max_length=15, choices=PageStatus.choices, default=PageStatus.PAGING)
    step_index = models.PositiveSmallIntegerField(default=0)
    repeat = models.PositiveSmallIntegerField(default=0)
    # When the next step is due; null once the page stops moving.
    next_step_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live page per incident and group: paging twice would double-wake people.
            models.UniqueConstraint(
                fields=["incident", "team"],
                condition=Q(status="paging"),
                name="incidents_one_live_page_per_team",
            )
        ]

    def __str__(self):
        return f"Page for {self.incident} to {self.team} ({self.get_status_display()})"


class PageNotification(models.Model):
    """Who was paged at which step: the page's history."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    step_index = models.PositiveSmallIntegerField()
    repeat = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self):
        return f"{self.user} paged at {self.sent_at:%Y-%m-%d %H:%M}"


class IncidentAlertRole(models.TextChoices):
    ORIGIN = "origin", "Opened the incident"
    CORRELATED = "correlated", "Correlated"
    SYMPTOM = "symptom", "Symptom of a failing dependency"


class IncidentAlert(models.Model):
    """A monitoring alert that belongs to an incident, and why it was attached."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alert_links")
    alert = models.ForeignKey(
        "events.Alert", on_delete=models.CASCADE, related_name="incident_links"
    )
    role = models.CharField(max_length=12, choices=IncidentAlertRole.choices)
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert"], name="incidents_alert_in_one_incident")
        ]

    def __str__(self):
        return f"{self.alert} -> {self.incident} ({self.role})"
