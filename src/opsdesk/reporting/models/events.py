"""Monitoring events counted per day, so event noise over months survives the raw events'
retention (``OPSDESK_EVENTS_RETENTION_DAYS``) and never scans millions of rows."""

from django.db import models


class EventCount(models.Model):
    """How many events arrived on ``day`` (the organisation's) from one integration, folded
    into alerts of one service, CI and team (empty for events no alert took)."""

    day = models.DateField()
    integration = models.ForeignKey(
        "events.Integration", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    events = models.PositiveBigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "integration"], name="event_count_day")]

    def __str__(self):
        return f"{self.day}: {self.events} events"


class RollupMark(models.Model):
    """How far a rollup has read its source: every row up to ``last_id`` is counted."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} up to {self.last_id}"

    @classmethod
    def counted_up_to(cls, name: str) -> int:
        """Every row of the source up to this id is counted (0: nothing yet)."""
        return cls.objects.filter(name=name).values_list("last_id", flat=True).first() or 0
