from django.db import models


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead"


class OutboxEvent(models.Model):
    """A domain fact written in the same transaction as the change that caused it.

    The worker hands it to every handler registered for its topic, at least once, with
    back-off; handlers that succeeded are remembered so a retry only runs the ones that failed.
    """

    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    # A worker that claims the event leases it until then; if it dies, the lease runs out.
    leased_until = models.DateTimeField(null=True, blank=True)
    done_handlers = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"#{self.pk} {self.topic} ({self.status})"
