"""Saved reports of the report builder and the subscriptions that mail them on a schedule.

A ``SavedReport`` is a metric and its filters as the builder's URL query, owned by the agent
who saved it and seen by every agent once shared. A ``ReportSubscription`` mails a saved
report, or a dashboard (by its slug), to one user every week or every month at a local hour
of that user's time zone; ``next_due_at`` is when the worker sends it next.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class SavedReport(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports"
    )
    name = models.CharField(max_length=120)
    metric_key = models.CharField(max_length=60)
    # The builder's URL query (``metric`` left out): period, filters and grouping, so opening
    # the report is opening that URL.
    query = models.CharField(max_length=1000, blank=True)
    shared = models.BooleanField(default=False, help_text="Every agent sees a shared report.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_report_name_per_owner")
        ]

    def __str__(self):
        return self.name


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    MONTHLY = "monthly", "Every month"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SubscriptionState(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped"


# The moves a subscription may make: (state, action) -> new state. Anything else is refused.
SUBSCRIPTION_TRANSITIONS: dict[tuple[str, str], str] = {
    (SubscriptionState.ACTIVE, "stop"): SubscriptionState.STOPPED,
    (SubscriptionState.STOPPED, "resume"): SubscriptionState.ACTIVE,
}


class ReportSubscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report = models.ForeignKey(
        SavedReport, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    # A dashboard is named by its slug (dashboards are declared in code, not rows).
    dashboard = models.CharField(max_length=60, blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, choices=Weekday.choices)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    hour = models.PositiveSmallIntegerField(default=8)  # local hour of the user's time zone
    state = models.CharField(
        max_length=10, choices=SubscriptionState.choices, default=SubscriptionState.ACTIVE
    )
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # Part of the stop link: resuming bumps it, so an old mail's link cannot stop the new run.
    generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(report__isnull=False) & Q(dashboard=""))
                | (Q(report__isnull=True) & ~Q(dashboard="")),
                name="subscription_report_or_dashboard",
            ),
            models.CheckConstraint(
                condition=Q(frequency="monthly") | Q(weekday__isnull=False),
                name="subscription_weekly_has_weekday",
            ),
            models.CheckConstraint(condition=Q(hour__lte=23), name="subscription_hour_of_day"),
        ]

    def __str__(self):
        return f"{self.subject_name} ({self.get_frequency_display()})"

    @property
    def subject_name(self) -> str:
        if self.report_id:
            return self.report.name
        from opsdesk.reporting.dashboards import DASHBOARDS

        board = DASHBOARDS.get(self.dashboard)
        return f"{board.label} dashboard" if board else "A dashboard no longer shown"

    @property
    def schedule_text(self) -> str:
        at = f"{self.hour:02d}:00"
        if self.frequency == Frequency.WEEKLY:
            return f"Every {Weekday(self.weekday).label} at {at}"
        return f"Every month on day {self.day_of_month or 1} at {at}"

    @property
    def schedule_phrase(self) -> str:
        """The schedule inside a sentence: "every Monday at 08:00"."""
        text = self.schedule_text
        return text[0].lower() + text[1:]
