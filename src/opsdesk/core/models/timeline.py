from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class TimelineKind(models.TextChoices):
    COMMENT = "comment", "Comment"  # public: the requester sees it
    WORK_NOTE = "work_note", "Work note"  # internal: agents only
    STATE_CHANGE = "state_change", "State change"
    SYSTEM = "system", "System"


PUBLIC_KINDS = {TimelineKind.COMMENT, TimelineKind.STATE_CHANGE}


class TimelineEntry(models.Model):
    """The activity history of any record, in the order it happened."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    body = models.TextField(blank=True)
    # Structured facts for metrics: {"field": "state", "from": "new", "to": "in_progress"}.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]
        verbose_name_plural = "timeline entries"

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_KINDS
