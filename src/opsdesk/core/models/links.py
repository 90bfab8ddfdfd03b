from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q


class RecordLink(models.Model):
    """Two records that are related without one being the other's parent ("see also").

    The link has no direction: each pair is stored once, its two ends in a fixed order (see
    ``core.related.link_ends``), so the same two records cannot be linked twice.
    """

    a_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    a_id = models.CharField(max_length=64)
    b_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    b_id = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["a_type", "a_id", "b_type", "b_id"],
                name="core_record_link_once_per_pair",
                violation_error_message="These records are already linked.",
            ),
            models.CheckConstraint(
                condition=~(Q(a_type=F("b_type")) & Q(a_id=F("b_id"))),
                name="core_record_link_not_to_itself",
                violation_error_message="A record cannot be related to itself.",
            ),
        ]
        indexes = [models.Index(fields=["b_type", "b_id"])]

    def __str__(self):
        return f"{self.a_type.model} {self.a_id} ~ {self.b_type.model} {self.b_id}"
