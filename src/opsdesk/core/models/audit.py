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

    ``entry_hash`` is an HMAC, keyed with the audit key that never enters the database, over
    every field and the previous entry's hash: changing or deleting a row breaks the chain at
    that row, and nobody without the key can recompute the chain after it. ``opsdesk audit
    verify`` finds the break, and the signed checkpoint file catches entries cut from the end.
    Triggers refuse UPDATE and DELETE on both databases (migrations 0002 and 0005). A future
    migration that makes Django rebuild this table on SQLite drops its triggers with it, and
    must create them again.
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
    # Which audit key sealed the entry; empty for entries written before entries were keyed,
    # which carry a plain SHA-256 and are protected by the first keyed entry after them.
    key_id = models.CharField(max_length=16, blank=True, default="")
    # Position in the trail (1 for the first entry), sealed with the entry so that the
    # checkpoint can record how long the trail was without counting it.
    seq = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"
