"""What "open at an instant" and "its age bucket" mean, as SQL over the fact rows.

The daily snapshot (``services.backlog_snapshot_take``) and the backlog metrics share these,
so a day's snapshot and the ageing of the same day count the same records.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Case, CharField, Q, Value, When

from opsdesk.reporting.models import AGE_BUCKETS


def age_bucket_case(end: datetime) -> Case:
    """The SQL ``CASE`` that puts a record opened at ``opened_at`` in its age bucket at ``end``:
    under 7 days old, 7 to 30, 30 to 90, over 90 (a bucket's low end belongs to it)."""
    whens = [
        When(opened_at__gt=end - timedelta(days=high), then=Value(key))
        for key, _label, _low, high in AGE_BUCKETS
        if high is not None
    ]
    return Case(*whens, default=Value(AGE_BUCKETS[-1][0]), output_field=CharField())


def bucket_condition(key: str, end: datetime) -> Q:
    """The records of bucket ``key`` at ``end`` (the same bounds as ``age_bucket_case``)."""
    for bucket, _label, low, high in AGE_BUCKETS:
        if bucket == key:
            condition = Q(opened_at__lte=end - timedelta(days=low)) if low else Q()
            if high is not None:
                condition &= Q(opened_at__gt=end - timedelta(days=high))
            return condition
    raise KeyError(key)


def open_at(end: datetime) -> Q:
    """Records open at ``end``: opened before it, not cancelled, and not yet resolved or closed
    before it (``end`` is the instant after a day: one resolved at it was open all day)."""
    finished_later = Q(resolved_at__gte=end) | Q(resolved_at__isnull=True, closed_at__gte=end)
    return Q(opened_at__lt=end, is_cancelled=False) & (Q(is_open=True) | finished_later)
