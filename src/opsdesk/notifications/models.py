"""Who hears about what, how it is worded, and every message on its way out.

Rules and templates are data an administrator edits; preferences belong to each user. A
``Delivery`` is one email to one address, an ``InAppNotification`` one line in an agent's
list, a ``WebhookDelivery`` one POST to one subscription; each is written in the transaction
that handles the outbox fact and sent afterwards by the worker with retry and back-off.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.models import TimestampedModel, VersionedModel


class Event(models.TextChoices):
    OPENED = "opened", "Ticket opened"
    ASSIGNED = "assigned", "Ticket assigned"
    COMMENTED = "commented", "New comment or work note"
    WAITING_FOR_YOU = "waiting_for_you", "Waiting for your answer"
    RESOLVED = "resolved", "Ticket resolved"
    REOPENED = "reopened", "Ticket reopened"
    SURVEY = "survey", "Satisfaction survey"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACHED = "sla_breached", "SLA breached"
    PAGE = "page", "On-call page"
    ESCALATION_NOTICE = "escalation_notice", "Escalation notice"
    STAKEHOLDER_UPDATE = "stakeholder_update", "Major incident update"
    ALERT_FIRED = "alert_fired", "Alert fired"
    MAJOR_DECLARED = "major_declared", "Major incident declared"
    APPROVAL_REQUESTED = "approval_requested", "Approval requested from you"
    APPROVAL_REMINDER = "approval_reminder", "Approval reminder"
    APPROVAL_REJECTED = "approval_rejected", "Your request was rejected"
    APPROVAL_REPLY_REFUSED = "approval_reply_refused", "Your approval reply decided nothing"
    TREND_FOUND = "trend_found", "Recurring incidents found"
    ACCESS_EXPIRING = "access_expiring", "Your access ends soon"
    ACCESS_REVIEW_REQUESTED = "access_review_requested", "Access reviews wait for you"
    ACCESS_REVIEW_REMINDER = "access_review_reminder", "Access review reminder"
    ACCESS_MANUAL_STEP = "access_manual_step", "Access to provision by hand"
    ACCESS_SOD_VIOLATION = "access_sod_violation", "Conflicting duties found"
    MANAGER_ASSIGNED = "manager_assigned", "A problem is yours to manage"
    SCHEDULED_REPORT = "scheduled_report", "Scheduled report"


# Being paged is part of being on call; nobody may switch it off.
MANDATORY_EVENTS = frozenset({Event.PAGE})
# Mail that must leave at once instead of waiting to be folded into a digest.
# Approval mail also leaves alone: its subject carries the request's own reply token.
URGENT_EVENTS = frozenset(
    {
        Event.PAGE,
        Event.ESCALATION_NOTICE,
        Event.SLA_BREACHED,
        Event.ALERT_FIRED,
        Event.APPROVAL_REQUESTED,
        Event.APPROVAL_REMINDER,
        Event.APPROVAL_REPLY_REFUSED,
    }
)
# Announcements to many people; replying to one is not joining the incident's conversation.
BROADCAST_EVENTS = frozenset({Event.STAKEHOLDER_UPDATE, Event.MAJOR_DECLARED})


class Audience(models.TextChoices):
    CALLER = "caller", "Caller"
    ASSIGNEE = "assignee", "Assignee"
    ASSIGNMENT_GROUP = "assignment_group", "Assignment group members"
    WATCHERS = "watchers", "Watchers"
    TEAM_LEAD = "team_lead", "Team lead"
    NAMED = "named", "People named in the event"
    # Everyone whose department uses, or who follows, a service the incident affects; for
    # major incidents only, and told the public text only.
    SERVICE_USERS = "service_users", "Users of the affected services"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In the app"


class NotificationRule(TimestampedModel, VersionedModel):
    """For one event, one audience: whether they hear about it, and by which channels."""

    event = models.CharField(max_length=30, choices=Event.choices)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    email = models.BooleanField(default=True)
    in_app = models.BooleanField(
        default=True, help_text="Agents also see it in their notification list."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["event", "audience"]
        constraints = [
            models.UniqueConstraint(fields=["event", "audience"], name="notification_rule_once")
        ]

    def __str__(self):
        return f"{self.get_event_display()} → {self.get_audience_display()}"


class NotificationTemplate(TimestampedModel, VersionedModel):
    """The wording of one event's mail; Django template syntax over a fixed, plain context."""

    event = models.CharField(max_length=30, choices=Event.choices, unique=True)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)

    class Meta:
        ordering = ["event"]

    def __str__(self):
        return self.get_event_display()

    def clean(self):
        from opsdesk.notifications.rendering import template_errors

        errors = {}
        for name in ("subject", "body_text", "body_html"):
            problem = template_errors(getattr(self, name))
            if problem:
                errors[name] = [problem]
        if errors:
            raise ValidationError(errors)


class NotificationPreference(models.Model):
    """A user's choice for one event and channel; no row means "yes, tell me"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    event = models.CharField(max_length=30, choices=Event.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "channel"], name="notification_pref_once"
            )
        ]

    def __str__(self):
        return f"{self.user} {self.event} {self.channel} {'on' if self.enabled else 'off'}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    DEAD = "dead", "Gave up"


class RecordLink(models.Model):
    """The record a message is about, whatever its type (incidents now, requests later)."""

    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    record_number = models.CharField(max_length=20, blank=True)
    url = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True


class Delivery(RecordLink):
    """One email to one address, sent by the worker; never sent again once it has gone."""

    # The outbox fact that caused it: a handler that runs twice finds its rows already there.
    source_event_id = models.BigIntegerField()
    event = models.CharField(max_length=30, choices=Event.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set on the deliveries folded into another's digest mail.
    sent_in = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="folded"
    )
    # Headers of this mail alone (List-Unsubscribe of a scheduled report); a delivery with
    # headers or inline images always leaves as a mail of its own, never in a digest.
    headers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source_event_id", "address"], name="delivery_once_per_fact"
            )
        ]

    def __str__(self):
        return f"{self.subject} → {self.address} ({self.state})"


class DeliveryImage(models.Model):
    """An image shown inside a delivery's HTML (a report's chart), referenced there as
    ``<img src="cid:CONTENT_ID">`` and sent as a part of the mail, not as a link."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="images")
    content_id = models.CharField(max_length=100)
    filename = models.CharField(max_length=100)
    mime_type = models.CharField(max_length=50, default="image/png")
    content = models.BinaryField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "content_id"], name="image_once_per_mail")
        ]

    def __str__(self):
        return self.filename


class InAppNotification(RecordLink):
    """A line in an agent's notification list (the bell)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="in_app_notifications"
    )
    source_event_id = models.BigIntegerField()
    event = models.CharField(max_length=30, choices=Event.choices)
    title = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(fields=["source_event_id", "user"], name="in_app_once_per_fact")
        ]

    def __str__(self):
        return self.title


class WebhookSubscription(TimestampedModel, VersionedModel):
    """An outside system that wants the outbox facts whose topic matches one of ``topics``."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    topics = models.CharField(
        max_length=500,
        help_text="Topic patterns separated by spaces or commas, e.g. incident.* sla.breached",
    )
    secret = models.CharField(max_length=128, help_text="Key of the HMAC-SHA256 signature.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def topic_patterns(self) -> list[str]:
        return [t for t in self.topics.replace(",", " ").split() if t]

    def clean(self):
        from opsdesk.core.outbound import url_problem

        problem = url_problem(self.url)
        if problem:
            raise ValidationError({"url": [problem]})
        if not self.topic_patterns:
            raise ValidationError({"topics": ["Name at least one topic pattern."]})


class WebhookDelivery(models.Model):
    """One fact on its way to one subscription: the delivery log."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    source_event_id = models.BigIntegerField()
    topic = models.CharField(max_length=100)
    body = models.TextField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "source_event_id"], name="webhook_once_per_fact"
            )
        ]

    def __str__(self):
        return f"{self.topic} → {self.subscription} ({self.state})"


class SentMail(models.Model):
    """A mail kept by the development sink instead of being handed to an SMTP server.

    ``raw`` is the message exactly as SMTP would have received it; the sink is only the
    last step of the same delivery path, so what an administrator reads here is what
    recipients would get.
    """

    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    from_address = models.CharField(max_length=255, blank=True)
    to = models.TextField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    raw = models.TextField()
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return self.subject
