"""What reporting reads: one fact row per ticket, and the backlog as it stood each day.

A metric over a million incidents must not walk their histories at query time, so every
duration a metric needs (in calendar and in business time) is worked out once, when the
milestone happens, and kept here. ``services.record_fact_refresh`` rewrites a record's row
after each change of it (the outbox fact), so a reopen after a rollup changes the numbers.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

# The columns every covering index of a period carries: what metrics count, filter and group
# by most.
COVERED = ["id", "record_type", "team", "priority", "event_made", "is_cancelled", "is_open"]


class RecordFact(models.Model):
    """One row per ticket of any registered type: its dimensions, milestones and durations.

    Durations are in seconds. ``*_business_seconds`` count only the working time of the
    record's SLA calendars (acknowledgement and response: its response clock's; resolution:
    its latest resolution clock's; calendar time for a record without clocks) and, for
    resolution, leave out the time the resolution clock was paused. ``fcr`` is empty when the
    record is not eligible for first-contact resolution (made by an event, or not resolved).
    """

    record_type = models.CharField(max_length=30)
    record_id = models.PositiveBigIntegerField()
    number = models.CharField(max_length=32)
    short_description = models.CharField(max_length=200, blank=True)

    # Dimensions a number can be broken down by.
    team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    category = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    event_made = models.BooleanField(default=False)
    # Counted in every number, but listed behind a number only to those who may see it.
    confidential = models.BooleanField(default=False)
    calendar = models.ForeignKey(
        "sla.BusinessCalendar", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    state = models.CharField(max_length=20)
    is_open = models.BooleanField(default=True)
    is_cancelled = models.BooleanField(default=False)

    # Milestones, and the organisation's day each fell on (periods are days in its zone).
    opened_at = models.DateTimeField()
    opened_on = models.DateField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_resolved_at = models.DateTimeField(null=True, blank=True)
    first_resolved_on = models.DateField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)  # the latest resolution
    resolved_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # Seconds from a resolution to the reopen that undid it (the shortest over the record's
    # cycles); empty when never reopened. The reopen rate compares it with its window.
    reopen_gap_seconds = models.FloatField(null=True, blank=True)

    ack_seconds = models.FloatField(null=True, blank=True)
    ack_business_seconds = models.FloatField(null=True, blank=True)
    response_seconds = models.FloatField(null=True, blank=True)
    response_business_seconds = models.FloatField(null=True, blank=True)
    # First resolution (closed, where never resolved) − opened.
    resolve_seconds = models.FloatField(null=True, blank=True)
    resolve_business_seconds = models.FloatField(null=True, blank=True)
    # The last resolution − opened: every reopened cycle included.
    total_resolve_seconds = models.FloatField(null=True, blank=True)
    total_resolve_business_seconds = models.FloatField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)

    fcr = models.BooleanField(null=True, blank=True)
    resolved_by_known_error = models.BooleanField(default=False)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id"], name="fact_record"),
        ]
        indexes = [
            models.Index(fields=["record_type", "opened_on"], name="fact_opened"),
            models.Index(fields=["record_type", "first_resolved_on"], name="fact_resolved"),
            models.Index(fields=["record_type", "closed_on"], name="fact_closed"),
            models.Index(
                fields=["record_type", "team", "opened_at"],
                condition=Q(is_open=True),
                name="fact_open",
            ),
            models.Index(fields=["team", "opened_on"], name="fact_team_opened"),
            models.Index(fields=["service", "opened_on"], name="fact_service_opened"),
            # A metric over every record type reads the rows of a period by its day and
            # aggregates a few columns: on PostgreSQL these carry them (INCLUDE), so a period
            # of a million rows is read from the index alone, never row by row from the table.
            models.Index(
                fields=["opened_on"],
                include=[
                    *COVERED,
                    "acknowledged_at",
                    "first_response_at",
                    "ack_seconds",
                    "ack_business_seconds",
                    "response_seconds",
                    "response_business_seconds",
                ],
                name="fact_opened_cover",
            ),
            models.Index(
                fields=["first_resolved_on"],
                include=[*COVERED, "resolve_seconds", "resolve_business_seconds"],
                name="fact_first_resolved_cover",
            ),
            models.Index(
                fields=["resolved_on"],
                include=[*COVERED, "total_resolve_seconds", "total_resolve_business_seconds"],
                name="fact_resolved_cover",
            ),
            # What was open at a moment (the backlog's ageing, each day's snapshot): open
            # now, or finished after it. With these the three cases are three index scans
            # (``fact_open`` gives the first) instead of a scan of every row ever opened.
            models.Index(fields=["resolved_at"], name="fact_resolved_at"),
            models.Index(
                fields=["closed_at"],
                condition=Q(resolved_at__isnull=True),
                name="fact_closed_unresolved",
            ),
        ]

    def __str__(self):
        return f"{self.number} ({self.record_type})"


# Age buckets of the open backlog, in days: [low, high).
AGE_BUCKETS = (
    ("lt7", "Under 7 days", 0, 7),
    ("7to30", "7–30 days", 7, 30),
    ("30to90", "30–90 days", 30, 90),
    ("gt90", "Over 90 days", 90, None),
)


class BacklogSnapshot(models.Model):
    """How many records were open at the end of ``day``, per type, team, priority and age
    bucket: the trend of a backlog cannot be recomputed once records have moved on."""

    day = models.DateField()
    record_type = models.CharField(max_length=30)
    team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    bucket = models.CharField(
        max_length=10, choices=[(key, label) for key, label, *_ in AGE_BUCKETS]
    )
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["day", "record_type"]
        indexes = [models.Index(fields=["day", "record_type"], name="snapshot_day")]

    def __str__(self):
        return f"{self.day} {self.record_type} {self.bucket}: {self.count}"
