"""Behaviours shared by records, assembled as mixins (NetBox style).

A ticket-like record inherits ``TimestampedModel``, ``VersionedModel`` and ``NumberedModel``;
its services call ``core.numbering.number_next`` on create and ``core.concurrency`` on update,
and write audit entries with ``core.audit.audit_record``.
"""

from django.db import models


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Optimistic concurrency: every update bumps ``version``; a stale one is refused (409)."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class NumberedModel(models.Model):
    """A human number like INC0001001, unique, allocated from ``NUMBER_PREFIX``'s sequence."""

    NUMBER_PREFIX = ""
    number = models.CharField(max_length=20, unique=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.number
