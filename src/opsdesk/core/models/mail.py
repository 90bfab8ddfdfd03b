from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class MailDirection(models.TextChoices):
    INBOUND = "in", "Received"
    OUTBOUND = "out", "Sent"


class MailMessageRecord(models.Model):
    """Every Message-ID opsdesk sent or received, and the record it belongs to.

    Outbound mail (notifications) and inbound mail (the service desk) both live above the
    record domains and may not import each other; this index is how a reply's In-Reply-To or
    References finds its ticket, and how a message is never processed twice.
    """

    message_id = models.CharField(max_length=255, unique=True)
    direction = models.CharField(max_length=3, choices=MailDirection.choices)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    record = GenericForeignKey("content_type", "object_id")
    # Addresses that took part in the thread: the sender, and for outbound mail the recipients.
    addresses = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.get_direction_display()} {self.message_id}"
