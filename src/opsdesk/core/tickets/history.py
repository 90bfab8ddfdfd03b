"""Typed history rows: written by the platform's services, read by reporting.

Every change of state, group, assignee or priority and every milestone metrics need
(acknowledged, first public reply, SLA pause and resume, resolved, reopened) is one row.
"""

from django.utils import timezone

from opsdesk.core.models.tickets import HistoryChange, TicketHistory


def _text(value) -> str:
    if value is None:
        return ""
    return str(getattr(value, "pk", value))[:64]


def history_add(
    *,
    record_type: str,
    record=None,
    record_id=None,
    change: str,
    actor=None,
    at=None,
    old=None,
    new=None,
) -> TicketHistory:
    """One row for ``record`` of type ``record_type`` (the registry key), after the change:
    its group, assignee and priority are read from the record as it now is. A writer without
    the record at hand (the SLA engine) gives ``record_id`` alone."""
    if change not in HistoryChange.values:
        raise ValueError(f"unknown history change {change!r}")
    return TicketHistory.objects.create(
        record_type=record_type,
        record_id=record.pk if record is not None else int(record_id),
        change=change,
        from_value=_text(old),
        to_value=_text(new),
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        group_id=getattr(record, "assignment_group_id", None),
        assignee_id=getattr(record, "assignee_id", None),
        priority=getattr(record, "priority", None),
    )


def history_for(*, record_type: str, record_id) -> list[TicketHistory]:
    return list(TicketHistory.objects.filter(record_type=record_type, record_id=record_id))
