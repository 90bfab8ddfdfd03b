"""The improvement register: what the team will change to move a number, and whether it did.

Continual service improvement starts from what Service Operation measured. An action names
the metric it should move (with the filters that scope it, as a dashboard URL does), who owns
it and by when; its page shows the metric before the action started and since.
"""

from django.conf import settings
from django.db import models

from opsdesk.core.models.base import NumberedModel, TimestampedModel, VersionedModel


class ImprovementState(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class ImprovementAction(TimestampedModel, VersionedModel, NumberedModel):
    NUMBER_PREFIX = "CSI"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="What will change, and why.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="improvement_actions"
    )
    due_on = models.DateField(null=True, blank=True)
    state = models.CharField(
        max_length=20, choices=ImprovementState.choices, default=ImprovementState.PLANNED
    )
    # The number it should move: a metric key and its filters as URL parameters
    # ("team=3&priority=1"), the way a shared dashboard view carries them.
    metric_key = models.CharField(max_length=50)
    metric_filters = models.CharField(max_length=500, blank=True)
    target = models.FloatField(
        null=True, blank=True, help_text="Where the number should get to (seconds or a share)."
    )
    # Where it came from: a problem, a post-incident review, a dashboard.
    problem = models.ForeignKey(
        "problems.Problem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="improvement_actions",
    )
    review = models.ForeignKey(
        "incidents.PostIncidentReview",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="improvement_actions",
    )
    dashboard = models.CharField(max_length=50, blank=True)
    started_on = models.DateField(null=True, blank=True)
    finished_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True, help_text="What happened, on finishing.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "due_on"], name="improvement_state_due")]

    def __str__(self):
        return f"{self.number} {self.title}"
