"""Forms as data: a schema of fields (``FormSchema``) and the typed answers given to one
(``FormAnswer``). The engine that reads and checks them is ``opsdesk.core.formschema``."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from opsdesk.core.models.base import TimestampedModel, VersionedModel


class FormSchema(TimestampedModel, VersionedModel):
    """One form: its own fields after the fields of the field sets it includes, in order.

    A schema flagged ``is_field_set`` is a reusable block ("Contact details") that other
    schemas name in ``includes`` (a list of slugs); ``version`` goes up on every save.
    """

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    is_field_set = models.BooleanField(
        "reusable field set",
        default=False,
        help_text="A block of fields other forms include, not a form on its own.",
    )
    fields = models.JSONField(default=list, blank=True)
    includes = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class FormAnswer(models.Model):
    """One answer to one field, on the record it belongs to, in a column of its own type.

    ``label`` and ``display`` are kept as they were when answered, so a page shows what the
    requester saw even after the form changes; the typed columns are what queries and
    conditions read (``value_text`` holds text, e-mail and choice values).
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    field_key = models.CharField(max_length=64)
    label = models.CharField(max_length=200)
    field_type = models.CharField(max_length=20)
    position = models.PositiveIntegerField(default=0)
    display = models.TextField(blank=True)
    value_text = models.CharField(max_length=500, blank=True, default="")
    value_long_text = models.TextField(blank=True, default="")
    value_number = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    value_datetime = models.DateTimeField(null=True, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)
    value_json = models.JSONField(null=True, blank=True)
    ref_type = models.CharField(max_length=40, blank=True, default="")
    ref_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="core_formanswer_record"),
            models.Index(fields=["field_key", "value_text"], name="core_formanswer_key_text"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field_key"],
                name="core_formanswer_once_per_field",
            )
        ]

    def __str__(self):
        return f"{self.label}: {self.display}"
