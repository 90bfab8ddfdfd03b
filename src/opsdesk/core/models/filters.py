"""Saved filters: a workspace queue with its filters and sort, kept by an agent under a name."""

from django.conf import settings
from django.db import models


class SavedFilter(models.Model):
    """A queue of one record type with its filters and sort, saved by an agent under a name of
    their own. ``record_type`` is the registry key ("incident", "work_order")."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    record_type = models.CharField(max_length=40)
    name = models.CharField(max_length=60)
    queue = models.CharField(max_length=20)
    query = models.CharField(max_length=1000, blank=True, help_text="The filter's query string.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "record_type", "name"], name="core_saved_filter_name"
            )
        ]

    def __str__(self):
        return self.name
