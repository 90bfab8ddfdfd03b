import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


def attachment_path(instance, filename):
    # Never the uploaded name: a random path under the data directory, sharded by date.
    return f"{instance.created_at:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a record. Downloads check that the user may see the record."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type_detected = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return self.original_name

    @property
    def is_original_mail(self) -> bool:
        """The message a ticket was mailed in with, kept as received (see inbound mail)."""
        # The type is set only by the mail intake; uploads are typed from their bytes.
        return not self.is_public and self.content_type_detected == "message/rfc822"
