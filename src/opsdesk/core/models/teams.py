from django.conf import settings
from django.db import models

from opsdesk.core.models.base import TimestampedModel, VersionedModel


class TeamType(models.TextChoices):
    """The four Service Operation functions of ITIL."""

    SERVICE_DESK = "service_desk", "Service desk"
    TECHNICAL = "technical", "Technical management"
    APPLICATION = "application", "Application management"
    OPERATIONS = "operations", "IT operations management"


class Team(TimestampedModel, VersionedModel):
    """A support group: where work is assigned and who answers for it."""

    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=20, choices=TeamType.choices, default=TeamType.TECHNICAL)
    email = models.EmailField(blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    escalation_team = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_from",
        help_text="The next tier when work is escalated functionally.",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
