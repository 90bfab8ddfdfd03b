"""Problems: the causes behind incidents, analysed, published as known errors and removed.

A problem (PRB) is a ticket on the platform. It owns its link table to incidents (foreign keys
point down the layers), keeps its root-cause analysis and, once the cause is known, the known
error the desk works around at intake until the permanent fix lands.
"""

from django.conf import settings
from django.db import models

from opsdesk.core.models import Ticket, TimestampedModel, VersionedModel
from opsdesk.incidents.models import Category, Impact, Incident, Urgency


class ProblemState(models.TextChoices):
    NEW = "new", "New"
    ASSESSED = "assessed", "Assessed"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", "Root cause analysis"
    KNOWN_ERROR = "known_error", "Known error"
    FIX_IN_PROGRESS = "fix_in_progress", "Fix in progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    ACCEPTED = "accepted", "Accepted"
    CANCELLED = "cancelled", "Cancelled"


class FactorCategory(models.TextChoices):
    PEOPLE = "people", "People"
    PROCESS = "process", "Process"
    TECHNOLOGY = "technology", "Technology"
    SUPPLIER = "supplier", "Supplier"
    ENVIRONMENT = "environment", "Environment"


# States where the cause is known: the record is a known error the desk can use.
KNOWN_ERROR_STATES = (
    ProblemState.KNOWN_ERROR,
    ProblemState.FIX_IN_PROGRESS,
    ProblemState.ACCEPTED,
)


class Problem(Ticket):
    NUMBER_PREFIX = "PRB"

    state = models.CharField(max_length=20, choices=ProblemState.choices, default=ProblemState.NEW)
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, default=Impact.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.MEDIUM)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="problems_of_service"
    )
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="problems", verbose_name="CIs"
    )
    problem_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_problems",
    )
    vendor_reference = models.CharField("vendor case", max_length=100, blank=True)
    related = models.ManyToManyField("self", blank=True)

    # Root-cause analysis.
    failure_timeline = models.TextField(blank=True, help_text="What happened, when, in order.")
    whys = models.JSONField(default=list, blank=True, help_text="Five whys, in order.")
    contributing_factors = models.JSONField(
        default=list, blank=True, help_text='[{"category": "process", "text": "..."}]'
    )
    root_cause = models.TextField(blank=True)

    # The known error.
    symptoms = models.TextField(blank=True, help_text="How it shows, in the caller's words.")
    workaround = models.TextField(blank=True)
    workaround_public = models.BooleanField(
        default=False, help_text="Safe for requesters to apply themselves."
    )
    permanent_fix = models.TextField(blank=True)
    review_on = models.DateField(null=True, blank=True)
    accepted_reason = models.TextField(blank=True)

    # Milestones metrics read (time to root cause, time to fix).
    assessed_at = models.DateTimeField(null=True, blank=True)
    root_cause_at = models.DateTimeField(null=True, blank=True)
    fix_started_at = models.DateTimeField(null=True, blank=True)
    # The known error is fixed when the problem is resolved; recurrences count from here.
    fixed_at = models.DateTimeField(null=True, blank=True)
    # Last published to the knowledge base (the article itself is the service desk's).
    published_at = models.DateTimeField(null=True, blank=True)

    # The impact tally, kept current as incidents are linked.
    incident_count = models.PositiveIntegerField(default=0)
    outage_minutes = models.PositiveIntegerField(default=0)
    people_affected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-opened_at"], name="problem_state"),
            models.Index(fields=["problem_manager", "state"], name="problem_manager"),
        ]

    @property
    def is_known_error(self) -> bool:
        return self.state in KNOWN_ERROR_STATES


class LinkVia(models.TextChoices):
    MANUAL = "manual", "Linked by hand"
    WORKAROUND = "workaround", "Workaround applied"
    TREND = "trend", "Trend detection"
    REVIEW = "review", "Post-incident review"
    RECURRENCE = "recurrence", "Recurrence after the fix"


class ProblemIncident(models.Model):
    """An incident caused by the problem: who linked it, why, and how."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="problem_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    via = models.CharField(max_length=20, choices=LinkVia.choices, default=LinkVia.MANUAL)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-linked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="problem_incident_once"),
        ]

    def __str__(self):
        return f"{self.problem} ← {self.incident}"


class RecurrenceVia(models.TextChoices):
    MATCHED = "matched", "Matched the known error"
    LINKED = "linked", "Linked by hand"


class Recurrence(models.Model):
    """An incident opened within the recurrence window after the fix that looks like the same
    failure: reporting reads when, which incident, and how many days after the fix."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="recurrences")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="recurrences")
    via = models.CharField(max_length=20, choices=RecurrenceVia.choices)
    fixed_at = models.DateTimeField(help_text="When the fix it came back after was made.")
    detected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-detected_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], name="recurrence_once"),
        ]

    def __str__(self):
        return f"{self.incident} recurred {self.problem}"


class CandidateState(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class ProblemCandidate(TimestampedModel, VersionedModel):
    """Similar incidents trend detection found recurring, with the evidence, for the desk to
    accept (a problem with those incidents linked) or dismiss (remembered: the same incidents,
    or some of them, are not offered again)."""

    state = models.CharField(
        max_length=10, choices=CandidateState.choices, default=CandidateState.OPEN
    )
    title = models.CharField(max_length=200)
    incidents = models.ManyToManyField(Incident, related_name="problem_candidates")
    # The evidence, as found: how many, when first and last, where, and the words they share.
    incident_count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="problem_candidates_of_service"
    )
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="problem_candidates", verbose_name="CIs"
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="problem_candidates")
    top_terms = models.JSONField(default=list, blank=True)
    cohesion = models.FloatField(default=0.0, help_text="How alike the calls are, 0 to 1.")
    window_days = models.PositiveSmallIntegerField(default=30)
    # The sorted incident ids, hashed: the same incidents are the same candidate.
    signature = models.CharField(max_length=64, db_index=True)
    found_at = models.DateTimeField()
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [models.Index(fields=["state", "-last_seen"], name="candidate_state")]

    def __str__(self):
        return f"Trend: {self.title}"
