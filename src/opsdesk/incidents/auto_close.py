"""Auto-close: a resolution the caller has not disputed for N business days closes itself.

Business days are those of the calendar the incident's resolution clock counts in (Monday to
Friday in the server's zone for an incident without a clock); the arithmetic is the SLA
engine's (``sla.business_time``). Closing is the system's step, whoever resolved.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from opsdesk.core import context
from opsdesk.core.concurrency import lock_for_update
from opsdesk.incidents.models import Incident, State
from opsdesk.incidents.services import _apply_transition
from opsdesk.sla.business_time import weekdays_only
from opsdesk.sla.selectors import business_day_cutoffs, latest_clock_calendar

DEFAULT_AUTO_CLOSE_BUSINESS_DAYS = 3


def auto_close_business_days() -> int:
    return int(
        getattr(settings, "OPSDESK_INCIDENT_AUTO_CLOSE_DAYS", DEFAULT_AUTO_CLOSE_BUSINESS_DAYS)
    )


def _resolved_with_calendar():
    return (
        Incident.objects.filter(state=State.RESOLVED)
        .annotate(pk_text=Cast("pk", CharField()))
        .annotate(close_calendar_id=latest_clock_calendar(Incident))
    )


def incident_auto_close_due(*, now, limit: int = 500) -> int:
    """Close incidents resolved at least N business days before ``now``; returns how many.

    Incidents are grouped by calendar and each calendar's cutoff is computed once. Each
    incident closes in its own transaction and is re-checked under its row lock, so two
    workers never close one twice and one failure does not hold back the rest.
    """
    resolved = _resolved_with_calendar()
    calendar_ids = set(resolved.order_by().values_list("close_calendar_id", flat=True).distinct())
    if not calendar_ids:
        return 0
    cutoffs = business_day_cutoffs(
        now=now,
        calendar_ids=calendar_ids,
        days=auto_close_business_days(),
        default=weekdays_only(settings.TIME_ZONE),
    )
    due_filter = Q()
    for calendar_id, cutoff in cutoffs.items():
        if calendar_id is None:
            due_filter |= Q(close_calendar_id__isnull=True, resolved_at__lte=cutoff)
        else:
            due_filter |= Q(close_calendar_id=calendar_id, resolved_at__lte=cutoff)
    due = list(
        resolved.filter(due_filter)
        .order_by("resolved_at", "pk")
        .values_list("pk", "close_calendar_id")[:limit]
    )
    closed = 0
    for pk, calendar_id in due:
        cutoff = cutoffs[calendar_id]
        with transaction.atomic(), context.as_system():
            current = lock_for_update(Incident, pk)
            resolved_at = current.resolved_at
            if current.state != State.RESOLVED or resolved_at is None or resolved_at > cutoff:
                continue
            _apply_transition(
                current,
                "close",
                actor=None,
                now=now,
                reason="Closed automatically after the resolution was not disputed.",
            )
            closed += 1
    return closed
