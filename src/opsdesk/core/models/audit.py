from django.conf import settings
from django.db import models


class AuditSource(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    WORKER = "worker", "Worker"
    CLI = "cli", "Command line"
    SYSTEM = "system", "System"


class AuditEntry(models.Model):
    """One append-only, hash-chained line of the audit trail.

    ``entry_hash`` covers every field and the previous entry's hash, so changing or deleting a
    row breaks the chain at that row; ``opsdesk audit verify`` finds it. On PostgreSQL a
    trigger also refuses UPDATE and DELETE.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    source = models.CharField(max_length=10, choices=AuditSource.choices)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"
