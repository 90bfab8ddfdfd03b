"""Maintenance window reminders: tell the owners before a window runs out."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from opsdesk.core.outbox import outbox_publish
from opsdesk.events.models import MaintenanceWindow
from opsdesk.events.planning import window_active, window_current_end

REMIND_BEFORE = timedelta(minutes=15)


def windows_remind(*, now) -> int:
    """Publish ``maintenance.ending`` once per occurrence that ends within 15 minutes."""
    reminded = 0
    candidates = MaintenanceWindow.objects.filter(starts_at__lte=now).filter(
        Q(weekly=True) | Q(ends_at__gt=now)
    )
    for window in candidates:
        if not window_active(window, now):
            continue
        ends = window_current_end(window, now)
        if ends - now > REMIND_BEFORE or window.reminded_for == ends:
            continue
        with transaction.atomic():
            updated = (
                MaintenanceWindow.objects.filter(pk=window.pk)
                .exclude(reminded_for=ends)
                .update(reminded_for=ends)
            )
            if updated:
                outbox_publish(
                    topic="maintenance.ending",
                    payload={
                        "window_id": window.pk,
                        "name": window.name,
                        "ends_at": ends,
                        "created_by_id": window.created_by_id,
                    },
                )
                reminded += 1
    return reminded
